/** Where commands print: stdout for results, stderr for progress and errors. Tests pass their own. */
export interface Output {
  line(text: string): void;
  note(text: string): void;
  /** Runs `work` with a spinner on stderr when it is a terminal; silent otherwise. */
  progress<T>(label: string, work: () => Promise<T>): Promise<T>;
  /** Colour only on a terminal, and never with NO_COLOR set. */
  readonly colour: boolean;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export const processOutput: Output = {
  line: (text) => process.stdout.write(text + '\n'),
  note: (text) => process.stderr.write(text + '\n'),
  colour: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  progress: async (label, work) => {
    if (!process.stderr.isTTY) return work();
    let frame = 0;
    const timer = setInterval(() => process.stderr.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}`), 80);
    try {
      return await work();
    } finally {
      clearInterval(timer);
      process.stderr.write(`\r${' '.repeat(label.length + 2)}\r`);
    }
  },
};

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;

export function paint(out: Output, colour: keyof typeof CODES, text: string): string {
  return out.colour ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}
