import { addressLiteral, classifyAddress, parseConfigUrl, type UrlCheck } from '../outbound/address';

/**
 * Where an MCP server may be. OpenAI's servers call it, not Switchboard's, so unlike an HTTP
 * tool's url (core/outbound/address.ts checkEndpointUrl) nothing on this machine or a private
 * network can be reached: `https:` only, to a name or a public address. A name is not resolved
 * here (it resolves where OpenAI is); a literal address that no public server has is refused.
 */
export function checkMcpUrl(raw: string): UrlCheck {
  const parsed = parseConfigUrl(raw, 'the MCP server url', 'https://mcp.example.com/mcp');
  if (!parsed.ok) return parsed;
  const { url } = parsed;
  if (url.protocol !== 'https:') {
    return { ok: false, problem: `the MCP server url must start with https:// (not ${url.protocol}//): OpenAI's servers call it over the internet` };
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, problem: `the MCP server url names this machine (${host}): OpenAI's servers call it, so it must be reachable from the internet` };
  }
  const literal = addressLiteral(url.hostname);
  if (literal !== undefined) {
    const cls = classifyAddress(literal);
    if (cls !== 'public') {
      return { ok: false, problem: `the MCP server url's address ${literal} is ${cls === 'loopback' ? 'this machine' : `a ${cls} address`}: OpenAI's servers call it, so it must be reachable from the internet` };
    }
  }
  return { ok: true, url };
}
