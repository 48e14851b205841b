/**
 * Text that a container prints arrives in chunks that end anywhere, mid-line included: these keep
 * the state a chunk boundary would otherwise lose.
 */

/**
 * Returns a function that puts `prefix` at the start of every line of the text it is given, chunk
 * after chunk: a line split over two chunks gets one prefix. An empty prefix changes nothing.
 */
export function linePrefixer(prefix: string): (text: string) => string {
  let atLineStart = true;
  return (text) => {
    if (!prefix || !text) return text;
    const out = (atLineStart ? prefix : '') + text.replace(/\n(?=[^])/g, `\n${prefix}`);
    atLineStart = text.endsWith('\n');
    return out;
  };
}

/** The last `limit` characters of everything appended: a job's output for its result, bounded however much it prints. */
export class TextTail {
  private text = '';
  private dropped = false;

  constructor(private readonly limit: number) {}

  append(chunk: string): void {
    this.text += chunk;
    // Trim in batches, not at every chunk: a chatty job would copy the whole tail for each line.
    if (this.text.length > this.limit * 2) this.trim();
  }

  /** Whether anything was left out at the start. */
  get truncated(): boolean {
    return this.dropped || this.text.length > this.limit;
  }

  toString(): string {
    this.trim();
    return this.text;
  }

  private trim(): void {
    if (this.text.length <= this.limit) return;
    this.text = this.text.slice(this.text.length - this.limit);
    this.dropped = true;
  }
}
