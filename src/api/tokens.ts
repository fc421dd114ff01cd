/**
 * Signed tokens of the access model (JWT, HS256, `jose`):
 *  - `admin-link`: the one-time token in an admin page link (minted with the platform key);
 *  - `admin-session`: the session cookie the page gets in exchange, scoped to one tenant;
 *  - `connect`: binds a pending Exact authorization (`state`) to the browser that started it.
 *
 * The signing keys are derived (HKDF-SHA256) from the platform keys, so there is no further secret
 * to configure: the first platform key signs, every configured one verifies (rotation), and a
 * token's audience says what it is, so one kind can never be used as another.
 */
import { createHash, hkdfSync, randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

export type TokenKind = 'admin-link' | 'admin-session' | 'connect';

const ISSUER = 'exact-expense-export';

interface SigningKey {
  kid: string;
  key: Uint8Array;
}

export interface VerifiedToken {
  tenantId: string;
  /** Token ID (one-time links) or session ID. */
  id: string;
  expiresAt: Date;
  /** `connect` tokens: the authorization state they are bound to. */
  state?: string;
}

export class TokenService {
  private readonly keys: SigningKey[];

  constructor(platformKeys: readonly string[]) {
    if (platformKeys.length === 0) throw new Error('no platform key to derive signing keys from');
    this.keys = platformKeys.map((k) => {
      const key = new Uint8Array(hkdfSync('sha256', k, ISSUER, 'admin-session-signing-v1', 32));
      return { kid: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
    });
  }

  /** Signs a token of `kind` for `tenantId`, valid for `ttlMs`. */
  async sign(kind: TokenKind, tenantId: string, ttlMs: number, extra: { state?: string; id?: string } = {}): Promise<{ token: string; id: string; expiresAt: Date }> {
    const id = extra.id ?? randomUUID();
    const expiresAt = new Date(Date.now() + ttlMs);
    const { kid, key } = this.keys[0];
    const token = await new SignJWT(extra.state ? { state: extra.state } : {})
      .setProtectedHeader({ alg: 'HS256', kid })
      .setIssuer(ISSUER)
      .setAudience(kind)
      .setSubject(tenantId)
      .setJti(id)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key);
    return { token, id, expiresAt };
  }

  /** The token's claims when it is a valid, unexpired token of `kind`; null otherwise. */
  async verify(kind: TokenKind, token: string): Promise<VerifiedToken | { expired: true } | null> {
    if (!token || token.length > 4096) return null;
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const k = this.keys.find((x) => x.kid === header.kid);
          if (!k) throw new joseErrors.JWKSNoMatchingKey();
          return k.key;
        },
        { algorithms: ['HS256'], issuer: ISSUER, audience: kind, requiredClaims: ['sub', 'jti', 'exp'] },
      );
      return toVerified(payload);
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return { expired: true };
      return null;
    }
  }
}

function toVerified(p: JWTPayload): VerifiedToken | null {
  if (typeof p.sub !== 'string' || typeof p.jti !== 'string' || typeof p.exp !== 'number') return null;
  return { tenantId: p.sub, id: p.jti, expiresAt: new Date(p.exp * 1000), ...(typeof p.state === 'string' ? { state: p.state } : {}) };
}

export const isVerified = (v: VerifiedToken | { expired: true } | null): v is VerifiedToken => v !== null && !('expired' in v);
