/**
 * Text that comes from the workspace, a container, the engine or a reply, made safe to show where
 * VS Code renders links: notifications and progress titles turn `[label](command:…)`,
 * `[label](https://…)` and `[label](file:…)` into clickable links (any command, any arguments).
 * A space between `]` and `(` breaks that syntax while the text still reads the same, so the user
 * sees exactly what the file says and nothing runs when it is clicked.
 */
export function withoutLinks(text: string): string {
  return text.replace(/\](\s*)\(/g, (_match, space: string) => `]${space || ' '}(`);
}
