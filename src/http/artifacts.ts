// Where an artifact is downloaded from (both APIs link to the v2 download route).
export function artifactUrl(baseUrl: string, jobId: string, nodeIndex: number, path: string): string {
  return `${baseUrl}/api/v2/output/job/${jobId}/artifacts/${nodeIndex}/${path.split('/').map(encodeURIComponent).join('/')}`;
}
