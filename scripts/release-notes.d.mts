export function releaseNotes(
  changelog: string,
  version: string,
): { notes?: string; error?: string };
