/**
 * Makes text from the network safe to print on a terminal: escape sequences are removed, and every
 * remaining control, line-breaking or bidirectional-override character is shown as a visible escape
 * (`\n`, `\x07`, `\u202e`), so a message can neither restyle the terminal nor fake another line.
 */
export class TextSanitizer {
  // CSI (ESC [ or 0x9B ... final byte), OSC/DCS/SOS/PM/APC strings up to BEL or ST, then any other two-byte ESC sequence.
  private static readonly ESCAPE_SEQUENCE =
    /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\x20-\x2f]*[\x30-\x7e]/g;
  private static readonly UNSAFE =
    /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  private static readonly NAMED: Record<string, string> = {
    '\n': '\\n',
    '\r': '\\r',
    '\t': ' ',
  };

  clean(text: unknown): string {
    return String(text ?? '')
      .replace(TextSanitizer.ESCAPE_SEQUENCE, '')
      .replace(
        TextSanitizer.UNSAFE,
        (char) => TextSanitizer.NAMED[char] ?? TextSanitizer.escape(char),
      );
  }

  private static escape(char: string): string {
    const code = char.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  }
}
