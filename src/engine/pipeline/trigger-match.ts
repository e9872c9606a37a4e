// Which of a project's triggers an incoming forge event fires, and the pipeline each one
// asks for. Pure: the caller loads the triggers (storage/pipeline-definitions.ts).
import { isFilteredIn } from '../../config/index.ts';
import type { GitRefRequest } from '../services/git-mirror.ts';

/** The event presets circlet's forge events can tell apart; CircleCI's others need data its payloads lack. */
export const SUPPORTED_PRESETS = ['all-pushes', 'only-tags', 'default-branch-pushes', 'only-build-prs', 'only-open-prs'] as const;

/** One ref an event builds (a push of a branch or tag, or a pull/merge request's head). */
export interface EventRef {
  branch?: string;
  tag?: string;
  /** Set for pull/merge request events. */
  review?: unknown;
}

export interface MatchableTrigger {
  event_preset: string | null;
  /** JSON text of `{branches?: {only?, ignore?}, tags?: {only?, ignore?}}`. */
  filters: string;
}

/** Does the trigger fire for this event ref? */
export function triggerFires(t: MatchableTrigger, ref: EventRef, defaultBranch: string): boolean {
  const isReview = ref.review !== undefined;
  const isTag = ref.tag !== undefined;
  switch (t.event_preset) {
    case null:
      break; // every event circlet builds
    case 'all-pushes':
      if (isReview) return false;
      break;
    case 'only-tags':
      if (!isTag) return false;
      break;
    case 'default-branch-pushes':
      if (isReview || isTag || ref.branch !== defaultBranch) return false;
      break;
    case 'only-build-prs':
      if (!isReview && !(ref.branch === defaultBranch && !isTag)) return false;
      break;
    case 'only-open-prs':
      if (!isReview) return false;
      break;
    default:
      return false;
  }
  const filters = parseFilters(t.filters);
  if (Object.keys(filters).length === 0) return true;
  return isFilteredIn(filters, { branch: ref.branch, tag: ref.tag });
}

function parseFilters(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A trigger's `checkout_ref` / `config_ref`: `refs/tags/x` is a tag, `refs/heads/x` or a bare name a branch. */
export function refOfName(name: string): GitRefRequest {
  if (name.startsWith('refs/tags/')) return { tag: name.slice('refs/tags/'.length) };
  if (name.startsWith('refs/heads/')) return { branch: name.slice('refs/heads/'.length) };
  return { branch: name };
}
