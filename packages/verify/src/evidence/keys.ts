import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ErrorCodes, StaydownError } from '@staydown/core';
import { keyId } from './bundle.js';

/** A new Ed25519 key pair as PEM (PKCS#8 private, SPKI public) and its key id. */
export function generateSigningKeys(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyId(publicKey),
  };
}

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new StaydownError(
      ErrorCodes.INVALID_OPTION,
      `${what} is a ${key.asymmetricKeyType} key; an Ed25519 key is needed`,
    );
  }
  return key;
}

export function loadPrivateKey(pem: string, source = 'private key'): KeyObject {
  try {
    return ed25519(createPrivateKey(pem), source);
  } catch (error) {
    if (error instanceof StaydownError) throw error;
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `${source} is not a readable PEM private key`, { cause: error });
  }
}

export function loadPublicKey(pem: string, source = 'public key'): KeyObject {
  try {
    return ed25519(createPublicKey(pem), source);
  } catch (error) {
    if (error instanceof StaydownError) throw error;
    throw new StaydownError(ErrorCodes.INVALID_OPTION, `${source} is not a readable PEM public key`, { cause: error });
  }
}
