// the dashboard's own script: its backend mints a credential for the signed-in member, and the
// page hands it to the element in memory (never in storage or the URL).
const keys = document.querySelector('keygate-api-keys');

async function freshSession() {
  const response = await fetch('/demo/session', { method: 'POST' });
  if (!response.ok) throw new Error(`the demo backend answered ${response.status}`);
  return (await response.json()).token;
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
