// Shell data is bytes. The lab's shell keeps bytes in a JS
// string with one character per byte (latin1); text (variables, arguments,
// what commands print) is ordinary JS text, UTF-8 on the wire.

const ASCII = /^[\x00-\x7f]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text -> its UTF-8 bytes (latin1 string). */
export function textToBytes(text: string): string {
  if (ASCII.test(text)) return text;
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Bytes (latin1 string) -> text; bytes that are not UTF-8 stay as they are (one character each). */
export function bytesToText(bytes: string): string {
  if (ASCII.test(bytes)) return bytes;
  try {
    return utf8.decode(Buffer.from(bytes, 'latin1'));
  } catch {
    return bytes;
  }
}
