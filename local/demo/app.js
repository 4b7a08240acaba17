// the dashboard's own script: its backend mints a session for the signed-in member, and the
// page hands it to the element in memory (never in storage or the URL).
const keys = document.querySelector('keygate-api-keys');

async function freshSession() {
  const response = await fetch('/demo/session', { method: 'POST' });
  if (!response.ok) throw new Error(`the demo backend answered ${response.status}`);
  const session = await response.json();
  // the role the session was minted with: the page offers what it allows (keygate enforces it).
  keys.setAttribute('member-role', session.role);
  return session.token;
}

// an expired session: the element asks, the backend mints another, the element carries on.
keys.addEventListener('keygate-session-expired', (event) => event.detail.renew(freshSession()));

freshSession().then(
  (token) => {
    keys.session = token;
  },
  (error) => {
    document.querySelector('.lead').textContent = error.message;
  },
);
