import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

export class InvalidPhoneNumberError extends Error {
  constructor(
    readonly field: string,
    readonly value: string,
  ) {
    super(`${field} "${value}" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)`);
    this.name = 'InvalidPhoneNumberError';
  }
}

/**
 * Reads a phone number written the ways users and carriers write it (`+1 (713) 481-0111`,
 * Wavix's `17134810111`, the international prefixes `00` / `011`) and returns E.164, or
 * undefined when it is not a valid number. Numbers without a country code are refused rather
 * than guessed: a wrong guess would route calls to the wrong place.
 */
export function toE164(input: string): string | undefined {
  const trimmed = input.trim();
  if (!/^[+\d][\d\s().\-/]*$/.test(trimmed)) return undefined;
  const digits = trimmed.replace(/[^\d]/g, '');
  const international = trimmed.startsWith('+')
    ? digits
    : digits.replace(/^(00|011)/, '');
  const parsed = parsePhoneNumberFromString(`+${international}`);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** Like `toE164`, but throws an error that names the field and the value. */
export function requireE164(input: string, field = 'number'): string {
  const e164 = toE164(input);
  if (!e164) throw new InvalidPhoneNumberError(field, input);
  return e164;
}
