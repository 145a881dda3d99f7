/** Where commands print: stdout for results, stderr for progress and errors. Tests pass their own. */
export interface Output {
  line(text: string): void;
  note(text: string): void;
}

export const processOutput: Output = {
  line: (text) => process.stdout.write(text + '\n'),
  note: (text) => process.stderr.write(text + '\n'),
};
