/**
 * The master key: typed at a hidden prompt when stdin is a terminal, otherwise the first line of
 * stdin (the rest of stdin stays for the letter's content). Never a command-line argument, where
 * `ps` and the shell history would show it.
 */
import { createInterface } from 'node:readline';
import { CliError } from './home';

let piped: Promise<string> | null = null;

/** All of stdin, read once (when it is not a terminal). */
function stdinText(): Promise<string> {
  piped ??= (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  })();
  return piped;
}

let consumed = 0;

/** The first line of piped stdin not read yet, without its line break. */
async function nextLine(): Promise<string | null> {
  const text = await stdinText();
  if (consumed >= text.length) return null;
  const end = text.indexOf('\n', consumed);
  const line = text.slice(consumed, end === -1 ? text.length : end);
  consumed = end === -1 ? text.length : end + 1;
  return line.replace(/\r$/, '');
}

/** The rest of piped stdin, or null when stdin is a terminal. */
export async function restOfStdin(): Promise<string | null> {
  if (process.stdin.isTTY) return null;
  const text = await stdinText();
  const rest = text.slice(consumed);
  consumed = text.length;
  return rest;
}

/** Asks on the terminal without echoing what is typed. */
function hiddenPrompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput(text: string): void };
    output._writeToOutput = (text) => {
      // Echo the question and the final line break, nothing of the answer.
      if (text.startsWith(question) || text === '\r\n' || text === '\n') process.stderr.write(text);
    };
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

/** The master key, asked twice when `confirm` (choosing a new one at a prompt). */
export async function readMasterKey(confirm = false): Promise<string> {
  let key: string | null;
  if (process.stdin.isTTY) {
    key = await hiddenPrompt('Master key: ');
    if (confirm && (await hiddenPrompt('Master key again: ')) !== key) {
      throw new CliError('the two master keys differ');
    }
  } else {
    key = await nextLine();
  }
  if (!key) throw new CliError('no master key: type it at the prompt, or give it as the first line of stdin');
  return key;
}
