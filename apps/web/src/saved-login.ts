export interface Login {
  token: string;
  username: string;
}

const KEY = 'securechat.login';

/*
 * The login survives a reload in sessionStorage: readable only by this origin's scripts (the CSP lets
 * no other script run), never sent with a request (so never in a proxy log, and no CSRF), and gone
 * when the tab closes. See docs/OPERATIONS.md, "The browser page and tokens".
 */
export const savedLogin = {
  load(): Login | undefined {
    try {
      const saved = JSON.parse(
        sessionStorage.getItem(KEY) ?? 'null',
      ) as Login | null;
      return saved?.token && saved.username ? saved : undefined;
    } catch {
      return undefined;
    }
  },
  save(login: Login): void {
    sessionStorage.setItem(KEY, JSON.stringify(login));
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};
