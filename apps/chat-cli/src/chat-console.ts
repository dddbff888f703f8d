import {
  clearScreenDown,
  createInterface,
  cursorTo,
  Interface,
  moveCursor,
} from 'node:readline';
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';

export interface ConsoleStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  error: NodeJS.WritableStream;
}

export type Stream = 'out' | 'err';

/**
 * The one wrapper around readline. On a terminal it owns the prompt: output printed while the user
 * is typing clears the prompt line, prints, then redraws the prompt with the partial input intact.
 * Without a terminal it is a plain line reader that buffers lines until someone takes them.
 */
export class ChatConsole {
  /** stdin and stdout are both terminals: prompt, muted password, redraws. */
  readonly terminal: boolean;
  private readonly rl: Interface;
  private readonly lines: string[] = [];
  private readonly takers: Array<(line: string | undefined) => void> = [];
  private lineHandler?: (line: string) => void;
  private endHandler?: () => void;
  private interruptHandler?: () => void;
  private ended = false;
  private muted = false;
  private prompting = false;
  /** Terminal rows of the prompt and line just entered, while its handler runs. */
  private typedRows = 0;

  constructor(
    private readonly streams: ConsoleStreams = {
      input: process.stdin,
      output: process.stdout,
      error: process.stderr,
    },
  ) {
    this.terminal = Boolean(streams.input.isTTY && streams.output.isTTY);
    this.rl = createInterface({
      input: streams.input,
      output: this.terminal ? this.mutableOutput() : undefined,
      terminal: this.terminal,
      crlfDelay: Infinity,
    });
    this.rl.on('line', (line) => this.received(line));
    this.rl.on('close', () => this.closed());
    this.rl.on('SIGINT', () =>
      this.interruptHandler ? this.interruptHandler() : process.exit(130),
    );
  }

  /**
   * Asks one question. On a terminal it shows `question` (and hides the answer when `muted`);
   * otherwise it takes the next stdin line silently. Resolves undefined at end of input.
   */
  ask(question: string, muted = false): Promise<string | undefined> {
    if (!this.terminal) return this.take();
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const finish = (answer: string | undefined): void => {
        this.rl.off('close', onClose);
        if (muted) {
          this.muted = false;
          this.streams.output.write('\n');
          this.forget(answer);
        }
        resolve(answer);
      };
      const onClose = (): void => finish(undefined);
      this.rl.once('close', onClose);
      if (muted) {
        this.streams.output.write(question);
        this.muted = true;
      }
      this.rl.question(muted ? '' : question, (answer) => finish(answer));
    });
  }

  /** Hands every further line (buffered ones first) to `handler`, and shows the prompt on a terminal. */
  start(
    prompt: string,
    handler: (line: string) => void,
    onEnd: () => void,
  ): void {
    this.lineHandler = handler;
    this.endHandler = onEnd;
    this.prompting = this.terminal;
    this.setPrompt(prompt);
    for (const line of this.lines.splice(0)) handler(line);
    if (this.ended) onEnd();
  }

  onInterrupt(handler: () => void): void {
    this.interruptHandler = handler;
  }

  setPrompt(prompt: string): void {
    this.rl.setPrompt(prompt);
    if (this.prompting) this.rl.prompt(true);
  }

  /** Prints one or more lines without disturbing the line being typed. */
  print(text: string, stream: Stream = 'out'): void {
    const target = stream === 'err' ? this.streams.error : this.streams.output;
    if (!this.prompting || this.ended) {
      target.write(`${text}\n`);
      return;
    }
    this.clearPrompt();
    target.write(`${text}\n`);
    this.rl.prompt(true);
  }

  /** On a terminal, removes the line just entered (prompt and text), so that the server's copy replaces it. */
  eraseTyped(): void {
    if (!this.prompting || this.typedRows === 0) return;
    const out = this.streams.output;
    moveCursor(out, 0, -this.typedRows);
    cursorTo(out, 0);
    clearScreenDown(out);
    this.typedRows = 0;
  }

  close(): void {
    if (this.prompting && !this.ended) this.clearPrompt();
    this.prompting = false;
    this.lineHandler = undefined;
    this.endHandler = undefined;
    this.rl.close();
  }

  /** Erases the prompt and the partial input, however many terminal rows they wrap onto. */
  private clearPrompt(): void {
    const out = this.streams.output;
    moveCursor(out, 0, -this.rl.getCursorPos().rows);
    cursorTo(out, 0);
    clearScreenDown(out);
  }

  private received(line: string): void {
    const taker = this.takers.shift();
    if (taker) return taker(line);
    if (!this.lineHandler) return void this.lines.push(line);
    // readline has echoed the prompt and the line, then moved to the next row.
    const width = stripVTControlCharacters(this.rl.getPrompt() + line).length;
    this.typedRows = this.prompting
      ? Math.max(1, Math.ceil(width / (this.streams.output.columns || 80)))
      : 0;
    try {
      this.lineHandler(line);
    } finally {
      this.typedRows = 0;
    }
  }

  private closed(): void {
    if (this.ended) return;
    this.ended = true;
    this.takers.splice(0).forEach((taker) => taker(undefined));
    this.endHandler?.();
  }

  private take(): Promise<string | undefined> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** A password answered on a terminal must not be reachable with the up arrow. */
  private forget(answer: string | undefined): void {
    const history = (this.rl as unknown as { history?: string[] }).history;
    if (answer && history?.[0] === answer) history.shift();
  }

  /** stdout behind a switch, so readline's echo can be silenced while a password is typed. */
  private mutableOutput(): NodeJS.WritableStream {
    const real = this.streams.output;
    const proxy = new Writable({
      write: (chunk, encoding, callback): void => {
        if (!this.muted) real.write(chunk, encoding);
        callback();
      },
    }) as Writable & { isTTY: boolean; columns?: number };
    proxy.isTTY = true;
    Object.defineProperty(proxy, 'columns', { get: () => real.columns });
    (real as unknown as NodeJS.EventEmitter).on('resize', () =>
      proxy.emit('resize'),
    );
    return proxy;
  }
}
