// One error type for both transports: {code, message}, as docs/api.md "Conventions" defines it.

export type ErrorCode =
  | 'invalid'
  | 'unauthenticated'
  | 'csrf'
  | 'permission_denied'
  | 'not_found'
  | 'invalid_state'
  | 'conflict'
  | 'too_large'
  | 'rate_limited'
  | 'internal'
  | 'unavailable'
  | 'network';

export class ApiError extends Error {
  readonly code: ErrorCode | string;
  readonly status: number;

  constructor(code: ErrorCode | string, message: string, status = 0) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

const fallbackByStatus: Record<number, ErrorCode> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'invalid_state',
  413: 'too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

function fromBody(body: unknown, status: number): ApiError | null {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (e && typeof e === 'object') {
      const { code, message } = e as { code?: unknown; message?: unknown };
      if (typeof code === 'string' && typeof message === 'string') {
        return new ApiError(code, message, status);
      }
    }
  }
  if (body && typeof body === 'object' && 'code' in body && 'message' in body) {
    const { code, message } = body as { code: unknown; message: unknown };
    if (typeof code === 'string' && typeof message === 'string') {
      return new ApiError(code, message, status);
    }
  }
  return null;
}

/** Turns an HTTP error response's text into an ApiError. */
export function parseHttpError(status: number, text: string): ApiError {
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: fall through */
  }
  const parsed = fromBody(body, status);
  if (parsed) return parsed;
  const code = fallbackByStatus[status] ?? 'internal';
  return new ApiError(code, status >= 500 ? 'Something went wrong on the server. Please try again.' : `Request failed (${status})`, status);
}

/** The error of a request that never got an answer (fetch itself failed). */
export function networkError(): ApiError {
  return new ApiError('network', 'Could not reach the server. Check your connection and try again.');
}

/** The {code,message} in a rejection's text (the app layer's JSON error body), if any. */
function fromText(text: string): ApiError | null {
  const t = text.trim();
  if (!t.startsWith('{')) return null;
  try {
    return fromBody(JSON.parse(t), 0);
  } catch {
    return null;
  }
}

/**
 * Turns whatever a desktop (Wails) binding rejected with into an ApiError. The app layer
 * (app/bindings.go) fails a bound call with the API's {"error":{code,message}} JSON as the
 * error's text; Wails v2.15 rejects the promise with Error(that text), older versions with
 * the text itself. A text that is not our JSON (a Wails timeout, a call Wails could not
 * make) keeps its words under code 'internal'.
 */
export function parseRejection(reason: unknown): ApiError {
  if (reason instanceof ApiError) return reason;
  const text = typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : null;
  if (text !== null) {
    const parsed = fromText(text);
    if (parsed) return parsed;
    if (text.trim() !== '') return new ApiError('internal', text.trim());
  } else {
    const parsed = fromBody(reason, 0);
    if (parsed) return parsed;
  }
  return new ApiError('internal', 'Something went wrong. Please try again.');
}
