// Fenced code blocks of a Markdown page, for the tests that hold the README's examples to what runs.
export interface CodeBlock {
  readonly lang: string;
  readonly body: string;
}

export function codeBlocks(md: string): CodeBlock[] {
  return [...md.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
}
