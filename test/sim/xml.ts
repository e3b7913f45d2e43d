/** A tiny well-formedness check for the generated SVG: balanced tags; returns the root element's name. */
export class XMLParser {
  parse(text: string): string {
    const stack: string[] = [];
    let root = "";
    for (const match of text.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>/g)) {
      const [, closing, name, , selfClosing] = match;
      if (closing) {
        if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
      } else if (!selfClosing) {
        if (stack.length === 0 && root === "") root = name!;
        stack.push(name!);
      } else if (root === "") root = name!;
    }
    if (stack.length !== 0) throw new Error(`unclosed <${stack.join(">, <")}>`);
    return root;
  }
}
