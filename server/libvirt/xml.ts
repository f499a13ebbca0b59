/** One XML parser/builder configuration for every libvirt document: attributes as `@_name`, repeated elements as arrays. */
import { XMLBuilder, XMLParser } from "fast-xml-parser";

/** Elements that may repeat in the documents Passdeck reads; always arrays, so one of them is never a special case. */
const REPEATED = new Set(["hostdev", "interface", "tag", "address", "capability", "controller", "disk", "device", "pf"]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", format: true, indentBy: "  ", suppressEmptyNode: true });

export type XmlNode = Record<string, unknown>;

export class LibvirtXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LibvirtXmlError";
  }
}

export function parseXml(xml: string, root: string): XmlNode {
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch (err) {
    throw new LibvirtXmlError(`not XML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const raw = doc[root];
  const node: unknown = Array.isArray(raw) ? raw[0] : raw;
  if (!node || typeof node !== "object")
    throw new LibvirtXmlError(`expected a <${root}> document, got <${Object.keys(doc).find((k) => !k.startsWith("?")) ?? "nothing"}>`);
  return node as XmlNode;
}

export function buildXml(doc: XmlNode): string {
  return builder.build(doc).trimEnd();
}

/** Children, attributes and text, read defensively: libvirt omits what is default. */
export const child = (n: unknown, name: string): XmlNode | null => {
  const v = (n as XmlNode | null)?.[name];
  if (Array.isArray(v)) return (v[0] as XmlNode) ?? null;
  return v && typeof v === "object" ? (v as XmlNode) : null;
};
export const children = (n: unknown, name: string): XmlNode[] => {
  const v = (n as XmlNode | null)?.[name];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "object" && x !== null ? (x as XmlNode) : { "#text": String(x) }));
};
// A value is a string as parsed (parseAttributeValue and parseTagValue off), or a scalar where code built the node.
const scalarText = (v: unknown): string => String(v);
export const attr = (n: unknown, name: string): string | null => {
  const v = (n as XmlNode | null)?.[`@_${name}`];
  return v === undefined || v === null ? null : scalarText(v);
};
export const text = (n: unknown, name: string): string | null => {
  const v = (n as XmlNode | null)?.[name];
  const one: unknown = Array.isArray(v) ? v[0] : v;
  if (one === undefined || one === null) return null;
  if (typeof one === "object") return (one as XmlNode)["#text"] === undefined ? null : String((one as XmlNode)["#text"]);
  return scalarText(one);
};
