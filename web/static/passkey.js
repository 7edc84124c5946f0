// Passkeys (WebAuthn) for the forms marked data-passkey: "create" on the
// account page adds one, "get" at the second step of a sign-in uses one.
//
// On submit, the script asks the form's data-begin for the options (JSON,
// the form's CSRF token in X-CSRF-Token), hands them to the browser
// (navigator.credentials), puts the authenticator's answer in the form's
// passkey.credential field and sends the form as any other: the server
// answers with a page. At sign-in a failed answer is sent too, empty: the
// server counts it as a wrong code and says why. What goes wrong before
// anything is sent is said in the form's status line (aria-live), in the
// words the page put in its data-msg-* attributes.
(function () {
  'use strict';

  // base64url (as the server speaks it) to an ArrayBuffer, and back.
  function toBuffer(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) {
      b64 += '=';
    }
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      bytes[i] = bin.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function decodeCredentials(list) {
    (list || []).forEach(function (c) {
      c.id = toBuffer(c.id);
    });
  }

  // options turns the server's JSON into what navigator.credentials takes.
  function options(json, create) {
    var pk = json.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    if (create) {
      pk.user.id = toBuffer(pk.user.id);
      decodeCredentials(pk.excludeCredentials);
    } else {
      decodeCredentials(pk.allowCredentials);
    }
    return pk;
  }

  // answer is the authenticator's PublicKeyCredential as JSON the server
  // parses.
  function answer(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(r.clientDataJSON) }
    };
    if (cred.authenticatorAttachment) {
      out.authenticatorAttachment = cred.authenticatorAttachment;
    }
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
      if (r.getTransports) {
        out.response.transports = r.getTransports();
      }
    }
    if (r.authenticatorData) {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      if (r.userHandle) {
        out.response.userHandle = toText(r.userHandle);
      }
    }
    return JSON.stringify(out);
  }

  // say puts message in the form's status line; failed marks it as a
  // refusal rather than a step under way.
  function say(form, message, failed) {
    var status = form.querySelector('.passkey-status');
    status.textContent = message;
    status.classList.toggle('failed', !!failed);
  }

  // begin asks the server for the ceremony's options; a refusal carries
  // its reason in words.
  function begin(form) {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== 'passkey.credential') {
        body.append(name, value);
      }
    });
    return fetch(form.dataset.begin, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': form.elements.csrf.value, 'Accept': 'application/json' }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (!res.ok) {
          throw { said: json.error || form.dataset.msgNetwork };
        }
        return json;
      });
    });
  }

  function setUp(form) {
    var create = form.dataset.passkey === 'create';
    var field = form.elements['passkey.credential'];
    var button = form.querySelector('button[type=submit]');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!window.PublicKeyCredential || !navigator.credentials) {
        say(form, form.dataset.msgUnsupported, true);
        return;
      }
      button.disabled = true;
      say(form, form.dataset.msgWorking);
      begin(form).then(function (json) {
        var ask = create
          ? navigator.credentials.create({ publicKey: options(json, true) })
          : navigator.credentials.get({ publicKey: options(json, false) });
        return ask.then(function (cred) {
          field.value = answer(cred);
          form.submit();
        }, function (err) {
          if (!create) {
            field.value = '{}';
            form.submit();
            return;
          }
          button.disabled = false;
          say(form, err && err.name === 'InvalidStateError' ? form.dataset.msgExists : form.dataset.msgFailed, true);
        });
      }, function (err) {
        button.disabled = false;
        say(form, (err && err.said) || form.dataset.msgNetwork, true);
      });
    });
  }

  document.querySelectorAll('form[data-passkey]').forEach(setUp);
})();
