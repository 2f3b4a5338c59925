// Security keys and passkeys (WebAuthn) for the second login step and for adding a key.
// A form with data-webauthn="register" or "login" carries the server's options as JSON in
// data-webauthn-options. On submit, ask the browser (navigator.credentials.create/get),
// put its answer as JSON in the hidden "credential" field and send the form; the server
// checks it. No inline script (CSP script-src 'self').
(function () {
  "use strict";

  function toBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var text = window.atob(base64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) {
      bytes[i] = text.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) {
      text += String.fromCharCode(bytes[i]);
    }
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = { type: item.type, id: toBytes(item.id) };
      if (item.transports) {
        copy.transports = item.transports;
      }
      return copy;
    });
  }

  function creationOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
    publicKey.excludeCredentials = descriptors(options.excludeCredentials);
    return { publicKey: publicKey };
  }

  function requestOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBytes(options.challenge);
    publicKey.allowCredentials = descriptors(options.allowCredentials);
    return { publicKey: publicKey };
  }

  function credentialJson(credential) {
    var response = credential.response;
    var answer = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      answer.response.attestationObject = toBase64url(response.attestationObject);
      answer.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      answer.response.authenticatorData = toBase64url(response.authenticatorData);
      answer.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        answer.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return JSON.stringify(answer);
  }

  function showMessage(form, text) {
    var message = form.querySelector("[data-webauthn-message]");
    if (message) {
      message.textContent = text;
      message.hidden = false;
      message.setAttribute("role", "alert");
    }
  }

  function setUp(form) {
    var mode = form.dataset.webauthn;
    var button = form.querySelector("button[type=submit]");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showMessage(form, "Webbläsaren kan inte använda säkerhetsnycklar. Använd en aktuell webbläsare.");
      if (button) {
        button.disabled = true;
      }
      return;
    }
    var busy = false;
    form.addEventListener("submit", function (event) {
      if (form.dataset.webauthnDone === "true") {
        return;
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      var nameField = form.querySelector("input[name=name]");
      if (nameField && !nameField.value.trim()) {
        // Let the server explain at the field that the key needs a name.
        form.dataset.webauthnDone = "true";
        form.submit();
        return;
      }
      var options = JSON.parse(form.dataset.webauthnOptions);
      var call =
        mode === "register"
          ? navigator.credentials.create(creationOptions(options))
          : navigator.credentials.get(requestOptions(options));
      busy = true;
      call
        .then(function (credential) {
          form.querySelector("input[name=credential]").value = credentialJson(credential);
          form.dataset.webauthnDone = "true";
          form.submit();
        })
        .catch(function (error) {
          busy = false;
          var name = error && error.name;
          showMessage(
            form,
            name === "InvalidStateError"
              ? "Den här nyckeln är redan registrerad."
              : name === "SecurityError"
                ? "Säkerhetsnycklar fungerar inte på den här adressen. Öppna casetrack med " +
                  "dess vanliga adress (ett domännamn, inte en IP-adress) och försök igen."
                : "Nyckeln användes inte (avbrutet eller tiden gick ut). Försök igen."
          );
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-webauthn]");
    for (var i = 0; i < forms.length; i += 1) {
      setUp(forms[i]);
    }
  });
})();
