/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export function apiError(message: string, type: string, param: string | null = null, code: string | null = null) {
  return { error: { message, type, param, code } };
}

/** Why a request's `Authorization` header is refused, or undefined when it carries the key. */
export function authError(header: string | undefined, apiKey: string) {
  const token = /^Bearer (.+)$/i.exec(header ?? '')?.[1]?.trim();
  if (!token) {
    return apiError(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      'invalid_request_error',
    );
  }
  if (token !== apiKey) {
    const shown = token.length > 8 ? `${token.slice(0, 3)}*****${token.slice(-4)}` : '*****';
    return apiError(
      `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_request_error',
      null,
      'invalid_api_key',
    );
  }
  return undefined;
}
