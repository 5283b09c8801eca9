// HelloJohn's passkey forms on the hosted pages, over @simplewebauthn/browser (/assets/webauthn.js, loaded
// before this file). Each form is server-rendered and hidden until this script shows it, so a browser
// without JavaScript or passkeys never sees a button that cannot work:
//   #passkey-sign-in  the sign-in page: "Sign in with a passkey", and passkeys offered as autofill in the
//                     email field (conditional UI) where the browser can;
//   #passkey-add      the account page: create a passkey;
//   #factor-webauthn  the second-step page (/mfa): a passkey as the second factor;
//   #passkey-add      also the page after a sign-up (/signup/passkey), whose only other way is "Not now"
//                     (#passkey-sign-up-skip): a browser without passkeys follows it at once.
// A form gets its options (a fresh single-use challenge) from `data-options`, or its action + /options
// (the second step: the sign-in's, /login/passkey/options), runs the ceremony, and posts the browser's
// answer as JSON in `response` (the second step: `code`).
(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;
  if (!lib || !lib.browserSupportsWebAuthn()) {
    var skip = document.getElementById('passkey-sign-up-skip');
    if (skip) window.location.replace(skip.href);
    return;
  }
  var FAILED = 'That didn\u2019t work. Try again, or use another way.';

  var FACTOR = 'factor-webauthn';

  function optionsFor(form) {
    // getAttribute: the second step's form has a field named "action", which shadows form.action.
    var action = form.getAttribute('action');
    var body = new URLSearchParams();
    body.set('csrf_token', form.elements.namedItem('csrf_token').value);
    var url =
      form.dataset.options ||
      (form.id === FACTOR ? action.replace(/\/mfa$/, '/login/passkey/options') : action + '/options');
    return fetch(url, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    }).then(function (answer) {
      if (!answer.ok) throw new Error('options: ' + answer.status);
      return answer.json();
    });
  }

  function post(form, credential) {
    var field = document.createElement('input');
    field.type = 'hidden';
    field.name = form.id === FACTOR ? 'code' : 'response';
    field.value = JSON.stringify(credential);
    form.appendChild(field);
    // The prototype's submit(): a field named "submit" cannot shadow it.
    HTMLFormElement.prototype.submit.call(form);
  }

  function showError(form, text) {
    var box = form.previousElementSibling;
    if (!box || !box.hasAttribute('data-passkey-error')) {
      box = document.createElement('p');
      box.className = 'error';
      box.setAttribute('role', 'alert');
      box.setAttribute('data-passkey-error', '');
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = text;
  }

  function ceremony(form, optionsJSON, autofill) {
    return form.id === 'passkey-add'
      ? lib.startRegistration({ optionsJSON: optionsJSON })
      : lib.startAuthentication({ optionsJSON: optionsJSON, useBrowserAutofill: autofill });
  }

  function run(form, autofill) {
    var button = form.querySelector('button[type="submit"]');
    return optionsFor(form)
      .then(function (options) {
        if (button && !autofill) button.disabled = true;
        return ceremony(form, options, autofill);
      })
      .then(function (credential) {
        post(form, credential);
      })
      .catch(function (error) {
        if (button) button.disabled = false;
        // Autofill is cancelled whenever the button starts its own request: nothing to say then.
        if (autofill || (error && error.name === 'AbortError')) return;
        showError(form, form.dataset.failed || FAILED);
      });
  }

  ['passkey-sign-in', 'passkey-add', FACTOR].forEach(function (id) {
    var form = document.getElementById(id);
    if (!form) return;
    form.hidden = false;
    var block = form.closest('[hidden]');
    if (block) block.hidden = false;
    var unsupported = document.getElementById(id + '-unsupported');
    if (unsupported) unsupported.hidden = true;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      run(form, false);
    });
  });

  var signIn = document.getElementById('passkey-sign-in');
  if (signIn && document.querySelector('input[autocomplete$="webauthn"]'))
    lib.browserSupportsWebAuthnAutofill().then(function (supported) {
      if (supported) run(signIn, true);
    });
})();
