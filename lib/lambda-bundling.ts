import * as path from 'node:path';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';

const REPO_ROOT = path.join(__dirname, '..');

/** The Lambdas' runtime; service/Dockerfile builds the worker on the same Node major. */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/**
 * How Switchboard's Lambdas are built: `lambda/<name>/index.ts` bundled with esbuild from
 * node_modules on this machine (no Docker needed to synth or deploy), minified with source maps,
 * the AWS SDK bundled too (one tested version, and a minified bundle loads faster than the
 * runtime's copy).
 */
export function bundledLambda(name: string): Pick<NodejsFunctionProps, 'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'runtime' | 'bundling'> {
  return {
    entry: path.join(REPO_ROOT, 'lambda', name, 'index.ts'),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    runtime: LAMBDA_RUNTIME,
    bundling: {
      forceDockerBundling: false,
      format: OutputFormat.CJS,
      target: LAMBDA_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1'),
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      bundleAwsSDK: true,
    },
  };
}
