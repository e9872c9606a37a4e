#!/bin/bash
# Brings up a local Docker engine and the base image the docker tests use: Debian's docker.io,
# dockerd in the background, and a base image built from the Debian mirror with mmdebstrap (no
# registry needed). The tests tag that image only under circlet-test/… names of their own run
# and remove those tags afterwards (test/executor/docker-helpers.ts).
# Never fails the caller: when the engine cannot start it prints one line and exits 0, and
# the docker tests skip themselves.
#   bash .ci/docker-setup.sh          # idempotent; ~1 min the first time, ~1 s after
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
IMAGE=${BASE_IMAGE:-local/debian:bookworm}
INCLUDE=${BASE_INCLUDE-ca-certificates,curl,git,openssh-client,procps,netcat-openbsd}   # procps: ps in jobs; netcat: the tests' service container
export DOCKER_HOST=unix://$SOCK

skip() { echo "docker: engine not available ($1); the docker tests will be skipped"; exit 0; }

setup() {
  set -e
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || return 10
    apt-get update -qq || return 11
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends docker.io mmdebstrap >/dev/null || return 12
  fi
  if ! docker info >/dev/null 2>&1; then
    nohup dockerd --host "$DOCKER_HOST" --pidfile /var/run/dockerd-ci.pid >/var/log/dockerd-ci.log 2>&1 &
    local i=0
    until docker info >/dev/null 2>&1; do
      i=$((i + 1)); [ $i -lt 120 ] || { tail -5 /var/log/dockerd-ci.log; return 13; }; sleep 0.5
    done
  fi
  docker info --format 'dockerd {{.ServerVersion}} storage={{.Driver}} cgroup=v{{.CgroupVersion}}'
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    local mirror
    mirror=$( { awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources
                awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list; } 2>/dev/null | head -n1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    mmdebstrap --quiet --variant=minbase --mode=root --format=tar ${INCLUDE:+--include="$INCLUDE"} bookworm - "$mirror" \
      | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
                      --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null || return 14
  fi
  docker run --rm --network none "$IMAGE" sh -c '. /etc/os-release; echo "base image ok: $PRETTY_NAME"' || return 15
}

if [ "$(id -u)" != 0 ] && ! docker info >/dev/null 2>&1; then skip "not root and no engine answers on $SOCK"; fi
( setup ) || skip "setup failed with status $?; see /var/log/dockerd-ci.log"
