/** Wavix's REST API, as far as routing a number goes (there is no Wavix package on npm). */

export interface WavixDestination {
  id?: number;
  destination: string;
  /** Lower wins. */
  priority: number;
  /** 1 = SIP URI, 4 = PSTN, 5 = SIP trunk (then `trunk_id`). */
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
  /** The read side names the list `destination`; the write side names it `destinations`. */
  destination?: WavixDestination[];
}

export const TRANSPORT = { sipUri: 1, pstn: 4, sipTrunk: 5 } as const;

export const DEFAULT_WAVIX_URL = 'https://api.wavix.com';

const OPENAI_SIP_HOST = 'sip.api.openai.com';
const PROJECT_ID = /^proj_[A-Za-z0-9]+$/;
const OPENAI_SIP_URI = /^(proj_[A-Za-z0-9]+)@sip\.api\.openai\.com(;|$)/;
const TIMEOUT_MS = 30_000;

export class WavixApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status Wavix answered; undefined when it did not answer at all. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WavixApiError';
  }
}

export class InvalidProjectIdError extends Error {
  constructor(readonly value: string) {
    super(`"${value}" is not an OpenAI project id (expected proj_..., shown in the OpenAI dashboard under Settings > Project > General)`);
    this.name = 'InvalidProjectIdError';
  }
}

/** `proj_abc` -> `proj_abc@sip.api.openai.com;transport=tls`, where Wavix must send the number's calls. */
export function sipUriForProject(projectId: string): string {
  if (!PROJECT_ID.test(projectId)) throw new InvalidProjectIdError(projectId);
  return `${projectId}@${OPENAI_SIP_HOST};transport=tls`;
}

function byPriority(number: WavixNumber): WavixDestination[] {
  return [...(number.destination ?? [])].sort((a, b) => a.priority - b.priority);
}

function describeDestination(d: WavixDestination): string {
  switch (d.transport) {
    case TRANSPORT.sipUri:
      return `SIP URI ${d.destination} (priority ${d.priority})`;
    case TRANSPORT.pstn:
      return `PSTN ${d.destination} (priority ${d.priority})`;
    case TRANSPORT.sipTrunk:
      return `SIP trunk ${d.trunk_label || d.destination || `#${d.trunk_id}`} (priority ${d.priority})`;
    default:
      return `transport ${d.transport} ${d.destination} (priority ${d.priority})`;
  }
}

/** The number's inbound routing in words, in the order Wavix tries it. */
export function describeRouting(number: WavixNumber): string {
  const destinations = byPriority(number);
  return destinations.length === 0 ? 'no inbound destination' : destinations.map(describeDestination).join('; then ');
}

/** Whether Wavix sends the number's calls to this SIP URI first. */
export function isRoutedTo(number: WavixNumber, sipUri: string): boolean {
  const first = byPriority(number)[0];
  return first?.transport === TRANSPORT.sipUri && first.destination === sipUri;
}

/** The OpenAI project whose SIP URI takes the number's calls first, if any. */
export function routedProject(number: WavixNumber): string | undefined {
  const first = byPriority(number)[0];
  return first?.transport === TRANSPORT.sipUri ? OPENAI_SIP_URI.exec(first.destination)?.[1] : undefined;
}

export class WavixClient {
  readonly baseUrl: string;

  constructor(
    private readonly apiKey: string,
    baseUrl: string = DEFAULT_WAVIX_URL,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** The account's number with this E.164 form, or undefined when the account has no such number. */
  async findNumber(e164: string): Promise<WavixNumber | undefined> {
    const digits = e164.replace(/\D/g, '');
    // The search matches parts of numbers too, so the exact one may be on any page.
    for (let page = 1; ; page++) {
      const result = await this.request<{ items: WavixNumber[]; pagination?: { total_pages?: number } }>(
        'GET',
        `/v1/numbers?search=${digits}&page=${page}&per_page=50`,
      );
      const match = result.items.find((n) => n.number === digits);
      if (match) return match;
      if (result.items.length === 0 || page >= (result.pagination?.total_pages ?? 1)) return undefined;
    }
  }

  getNumber(id: number): Promise<WavixNumber> {
    return this.request('GET', `/v1/numbers/${id}`);
  }

  /** Makes the SIP URI the number's only inbound destination. */
  setSipUriDestination(id: number, sipUri: string): Promise<WavixNumber> {
    return this.request('PATCH', `/v1/numbers/${id}`, { destinations: [{ destination: sipUri, priority: 1, transport: TRANSPORT.sipUri }] });
  }

  private async request<T>(method: 'GET' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const what = `${method} ${path.split('?')[0]}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.apiKey}`, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : causeOf(err);
      throw new WavixApiError(`cannot reach Wavix at ${this.baseUrl} (${reason}): check the network, or WAVIX_API_URL if set`);
    }
    const text = await response.text();
    if (response.ok) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new WavixApiError(`Wavix at ${this.baseUrl} answered ${what} with something that is not JSON: is WAVIX_API_URL the Wavix API?`, response.status);
      }
    }
    const detail = errorDetail(text);
    const said = `${response.status}${detail ? `: ${detail}` : ''}`;
    switch (response.status) {
      case 401:
        throw new WavixApiError(`Wavix refused the API key (${said}): check WAVIX_API_KEY`, 401);
      case 403: {
        const access = method === 'GET' ? 'read' : 'write';
        throw new WavixApiError(
          `the Wavix API key lacks permission to ${access === 'read' ? 'read' : 'change'} numbers (${what} answered ${said}): set WAVIX_API_KEY to a key with numbers ${access} access`,
          403,
        );
      }
      case 422:
        throw new WavixApiError(`Wavix refused the change (${what} answered ${said})`, 422);
      default:
        throw new WavixApiError(`Wavix answered ${what} with ${said}`, response.status);
    }
  }
}

function causeOf(err: unknown): string {
  // fetch wraps the socket error (ECONNREFUSED, ENOTFOUND) as its cause.
  const cause = (err as Error).cause;
  return cause instanceof Error ? cause.message : (err as Error).message;
}

/** The message of a Wavix error body, with any per-field validation messages. */
function errorDetail(text: string): string {
  let body: { message?: unknown; error?: unknown; errors?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return text.trim().slice(0, 200);
  }
  const message = typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : '';
  const fields =
    body.errors && typeof body.errors === 'object' && !Array.isArray(body.errors)
      ? Object.entries(body.errors).map(([field, messages]) => `${field}: ${[messages].flat().join(' ')}`)
      : [];
  return [message, ...fields].filter(Boolean).join('; ');
}
