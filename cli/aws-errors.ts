/**
 * Turns the AWS SDK's failures into one line that says what is wrong and what to do; undefined
 * when the error is not one of the usual ones.
 */
export function describeAwsError(err: unknown, region: string | undefined): string | undefined {
  const e = err as { name?: string; message?: string; code?: string; Code?: string };
  const name = e.name ?? '';
  const message = e.message ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(message) && /load|provider|missing/i.test(message)) {
    return 'no AWS credentials found: set AWS_PROFILE (and run `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  }
  if (/Region is missing/i.test(message)) return 'no AWS region set: set AWS_REGION (or a profile with a region) to where Switchboard is deployed';
  if (name === 'ValidationError' && /does not exist/.test(message)) {
    const stack = /Stack with id (\S+) does not exist/.exec(message)?.[1];
    return `stack ${stack ?? ''} not found in region ${region ?? '(unset)'}: check the name (\`switchboard status\` lists them) or set AWS_REGION`.replace('  ', ' ');
  }
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(name + ' ' + message)) {
    const action = /not authorized to perform: (\S+)/.exec(message)?.[1];
    const resource = /on resource: (\S+)/.exec(message)?.[1];
    return action
      ? `access denied: your AWS identity lacks permission ${action}${resource ? ` on ${resource}` : ''}`
      : `access denied: ${message}`;
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId' || name === 'ExpiredTokenException' || name === 'ExpiredToken') {
    return `AWS rejected the credentials (${name}): refresh them (e.g. \`aws sso login\`) and try again`;
  }
  if (name === 'ResourceNotFoundException') {
    return /secret/i.test(message)
      ? `${message}: the secret does not exist here; is this the right stack and region?`
      : `${message}: the table does not exist here; is this the right stack and region?`;
  }
  if (name === 'ValidationException' && /index/i.test(message)) {
    return `${message}: this table is not a Switchboard calls table (it lacks Switchboard's indexes)`;
  }
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return `cannot reach the service (${message}); is \`switchboard dev\` running and the endpoint right?`;
  }
  return undefined;
}
