/** Types of hosts.mjs (plain ESM so that scripts/serve.mjs runs it without TypeScript). */

export type Scheme = "http" | "https";

export interface Authority {
  /** lower case, IPv6 in brackets */
  name: string;
  port: number | null;
}

export interface HostPolicy {
  /** how this server itself serves (TLS or not) */
  scheme: Scheme;
  /** the port it listens on */
  port: number;
  /** names allowed on `port` */
  names: string[];
  /** name:port pairs from PASSDECK_ALLOWED_HOSTS (port forwards) */
  extra: { name: string; port: number }[];
  /** normalized addresses whose X-Forwarded-* headers are believed */
  trustedProxies: string[];
}

export interface HostFacts {
  addresses: string[];
  hostnames: string[];
}

export interface ForwardedView {
  client: string;
  scheme: Scheme;
  host: string | undefined;
  proxied: boolean;
}

export class HostConfigError extends Error {}
export function defaultPort(scheme: string): number;
export function normalizeAddress(text: unknown): string | null;
export function parseAuthority(text: unknown): Authority | null;
export function isLoopbackHost(host: string): boolean;
export function isWildcardHost(host: string): boolean;
export function tlsChoice(bindHost: string, raw: string | undefined | null): "self-signed" | "files" | "off";
export function parseAllowedHosts(text: string | undefined): { names: string[]; extra: { name: string; port: number }[] };
export function parseTrustedProxies(text: string | undefined): string[];
export function hostFacts(): HostFacts;
export function buildHostPolicy(options: {
  bindHost: string;
  port: number;
  scheme: Scheme;
  facts: HostFacts;
  allowedHosts?: string | undefined;
  trustedProxies?: string | undefined;
}): HostPolicy;
export function hostRefusal(value: string | undefined | null, policy: HostPolicy, options: { scheme: Scheme; proxied: boolean }): string | null;
export function misdirectedText(value: string | undefined | null, reason: string, policy: HostPolicy): string;
export function originAllowed(origin: string, served: { scheme: string; host: string | null | undefined }, policy: HostPolicy): boolean;
export function forwardedView(options: {
  peer: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  tls: boolean;
  policy: HostPolicy;
}): ForwardedView;
