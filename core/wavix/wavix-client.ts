/** Wavix's REST API, as far as routing a number goes (there is no Wavix package on npm). */

export interface WavixDestination {
  id?: number;
  destination: string;
  priority: number;
  /** 1 = SIP URI, 4 = PSTN, 5 = SIP trunk. */
  transport: number;
  trunk_id?: number | null;
  trunk_label?: string | null;
}

export interface WavixNumber {
  id: number;
  /** Digits without '+', e.g. `17134810111`. */
  number: string;
  label?: string | null;
  status?: string;
  /** Most concurrent inbound calls. */
  channels?: number;
  /** The read side names the list `destination` (the write side, `destinations`). */
  destination?: WavixDestination[];
}

export const SIP_URI_TRANSPORT = 1;

export class WavixApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WavixApiError';
  }
}

const OPENAI_SIP_HOST = 'sip.api.openai.com';

/** `proj_abc` -> `proj_abc@sip.api.openai.com;transport=tls`, what Wavix must send calls to. */
export function sipUriForProject(projectId: string): string {
  if (!/^proj_[A-Za-z0-9]+$/.test(projectId)) {
    throw new WavixApiError(`"${projectId}" is not an OpenAI project id (expected proj_..., shown in OpenAI under Settings > Project > General)`);
  }
  return `${projectId}@${OPENAI_SIP_HOST};transport=tls`;
}

function describeDestination(d: WavixDestination): string {
  const kind = d.transport === SIP_URI_TRANSPORT ? 'SIP URI' : d.transport === 4 ? 'PSTN' : d.transport === 5 ? 'SIP trunk' : `transport ${d.transport}`;
  const target = d.transport === 5 ? (d.trunk_label ?? `trunk ${d.trunk_id}`) : d.destination;
  return `${kind} ${target} (priority ${d.priority})`;
}

/** The number's inbound routing in words, highest priority first. */
export function describeRouting(number: WavixNumber): string {
  const destinations = [...(number.destination ?? [])].sort((a, b) => a.priority - b.priority);
  return destinations.length === 0 ? 'no inbound destination' : destinations.map(describeDestination).join('; then ');
}

/** Whether calls to the number go first to this SIP URI. */
export function isRoutedTo(number: WavixNumber, sipUri: string): boolean {
  const first = [...(number.destination ?? [])].sort((a, b) => a.priority - b.priority)[0];
  return first !== undefined && first.transport === SIP_URI_TRANSPORT && first.destination === sipUri;
}

/** The OpenAI project a number is routed to, if its first destination is OpenAI's SIP URI. */
export function routedProject(number: WavixNumber): string | undefined {
  const first = [...(number.destination ?? [])].sort((a, b) => a.priority - b.priority)[0];
  if (!first || first.transport !== SIP_URI_TRANSPORT) return undefined;
  return new RegExp(`^(proj_[A-Za-z0-9]+)@${OPENAI_SIP_HOST.replace(/\./g, '\\.')}`).exec(first.destination)?.[1];
}

export class WavixClient {
  constructor(
    private readonly apiKey: string,
    readonly baseUrl = 'https://api.wavix.com',
  ) {}

  /** Finds a number of this account by its E.164 form; undefined when the account has no such number. */
  async findNumber(e164: string): Promise<WavixNumber | undefined> {
    const digits = e164.replace(/\D/g, '');
    for (let page = 1; ; page++) {
      const result = await this.request<{ items: WavixNumber[]; pagination?: { total_pages?: number } }>(
        'GET',
        `/v1/numbers?search=${digits}&page=${page}&per_page=50`,
      );
      const match = result.items.find((n) => n.number.replace(/\D/g, '') === digits);
      if (match) return match;
      if (page >= (result.pagination?.total_pages ?? 1)) return undefined;
    }
  }

  getNumber(id: number): Promise<WavixNumber> {
    return this.request('GET', `/v1/numbers/${id}`);
  }

  /** Makes the SIP URI the number's only inbound destination. */
  setSipUriDestination(id: number, sipUri: string): Promise<WavixNumber> {
    return this.request('PATCH', `/v1/numbers/${id}`, { destinations: [{ destination: sipUri, priority: 1, transport: SIP_URI_TRANSPORT }] });
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.apiKey}`, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new WavixApiError(`cannot reach Wavix at ${this.baseUrl}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    const text = await response.text();
    if (response.ok) return JSON.parse(text) as T;
    const detail = errorDetail(text);
    switch (response.status) {
      case 401:
        throw new WavixApiError(`Wavix refused the API key (401${detail ? `: ${detail}` : ''}): check WAVIX_API_KEY`, 401);
      case 403:
        throw new WavixApiError(`the Wavix API key lacks permission for ${method} ${path.split('?')[0]} (403${detail ? `: ${detail}` : ''}): use a key allowed to manage numbers`, 403);
      default:
        throw new WavixApiError(`Wavix answered ${response.status} to ${method} ${path.split('?')[0]}${detail ? `: ${detail}` : ''}`, response.status);
    }
  }
}

function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; error?: string; errors?: unknown };
    const parts = [body.message ?? body.error, body.errors ? JSON.stringify(body.errors) : undefined].filter(Boolean);
    return parts.join(' ');
  } catch {
    return text.slice(0, 200);
  }
}
