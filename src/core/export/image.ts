/**
 * Which image an export runs, and why: what the manifest's comments say and what the user must do
 * before applying it (nothing, or push first).
 */
export interface ImageChoice {
  reference: string;
  /**
   * pushed: the digest or tag Push Image sent (what runs locally, exactly). fnJson: fn.json's `image`
   * with `:latest`. registry: the `localServerless.registry` setting, the function name and `:latest`.
   * placeholder: none of these, so `REGISTRY/<name>:latest`, to be replaced before applying.
   */
  source: 'pushed' | 'fnJson' | 'registry' | 'placeholder';
}

export interface ImageSources {
  name: string;
  /** The reference Push Image last sent for this function (a digest when it knows one). */
  pushed?: string;
  /** fn.json's `image`: a full reference, normally with no tag. */
  fnImage?: string;
  /** The `localServerless.registry` setting, e.g. registry.example.com/team. */
  registry?: string;
}

export const PLACEHOLDER_REGISTRY = 'REGISTRY';

/** The image an export names: the pushed one, else fn.json's `image`, else the registry setting, else a placeholder. */
export function chooseImage({ name, pushed, fnImage, registry }: ImageSources): ImageChoice {
  if (pushed?.trim()) return { reference: pushed.trim(), source: 'pushed' };
  if (fnImage?.trim()) return { reference: withDefaultTag(fnImage.trim()), source: 'fnJson' };
  const base = registry?.trim().replace(/\/+$/, '');
  if (base) return { reference: `${base}/${name}:latest`, source: 'registry' };
  return { reference: `${PLACEHOLDER_REGISTRY}/${name}:latest`, source: 'placeholder' };
}

/** `reference` with `:latest` unless it already names a tag or a digest (a `:` after the last `/`, or an `@`). */
export function withDefaultTag(reference: string): string {
  const lastPart = reference.slice(reference.lastIndexOf('/') + 1);
  return reference.includes('@') || lastPart.includes(':') ? reference : `${reference}:latest`;
}
