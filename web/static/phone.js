// The browser phone: the page's phone bar (#phone) and its call buttons
// ([data-call-case]).
//
// On load the script opens the page's WebSocket (/phone), the server's
// switchboard session for as long as the page is open. A call button asks
// for the microphone, makes a WebRTC offer with every ICE candidate
// gathered (no trickle), and sends {type: "call", case, sdp}; the server
// answers (answer), then tells how the call goes (ringing, answered, key,
// ended, error), which the bar says in words (the page's data-words). The
// keypad sends keys as RFC 4733 events (insertDTMF). When a call ends, the
// case page's calls and its "reached" answer are read again, so that the
// listener only writes the note. Closing the page hangs up: the server
// ends the call when the socket goes.
//
// A person who pressed 2 during a check-in rings the page (ring): the bar
// says who, rings visibly and, once the page may play sound, with a soft
// chime (WebAudio), and offers "Décrocher" and the person's file in a new
// tab. Décrocher makes the offer as a call does and sends {type: "accept",
// ring, sdp}; the call then goes on as one the listener made. ring_over
// says the call went elsewhere (another listener, or the usual call back).
(function () {
  'use strict';

  var bar = document.getElementById('phone');
  if (!bar) {
    return;
  }
  var words = JSON.parse(bar.getAttribute('data-words') || '{}');
  // Tests' fake microphone plays a tone that echo cancellation and noise
  // suppression would filter out: the server asks for the audio as it is.
  var raw = bar.getAttribute('data-raw-audio') === 'on';
  var stateEl = bar.querySelector('.phone-words');
  var timerEl = bar.querySelector('.phone-timer');
  var keyEl = bar.querySelector('.phone-key');
  var controls = bar.querySelector('.phone-controls');
  var muteButton = bar.querySelector('.phone-mute');
  var audio = bar.querySelector('.phone-audio');
  var keypadButton = bar.querySelector('.phone-keypad');
  var keys = bar.querySelector('.phone-keys');
  var ringPanel = bar.querySelector('.phone-ring');
  var takeButton = bar.querySelector('.phone-take');
  var fileLink = bar.querySelector('.phone-file');
  var title = document.title;

  var ws = null;
  var ice = [];
  var retry = 1000;
  var signedOut = false; // the session ended: no use trying again
  var call = null; // {caseID or ring, person, name, pc, mic, sent, answeredAt, ticker}
  var rings = []; // calls offered to the page, the first shown: {ring, person, name}
  var shown = null; // the ring the bar shows
  var chimes = null; // the ring's sound, repeating
  var calm = null; // the timer that puts "ready" back after a ring
  var sound = null; // the page's AudioContext, once a ring or a gesture made it

  function word(key, arg) {
    var s = words[key] || key;
    return arg === undefined ? s : s.replace('%s', arg);
  }

  function say(text, state) {
    stateEl.textContent = text;
    bar.setAttribute('data-state', state);
  }

  // sayCall says the call's state, with whom when the words say it.
  function sayCall(key, state) {
    if (call && call.name && words[key + '_name']) {
      say(word(key + '_name', call.name), state);
    } else {
      say(word(key), state);
    }
  }

  function setReady(ready) {
    document.documentElement.setAttribute('data-phone', ready ? 'ready' : 'off');
  }

  function setBusy(busy) {
    controls.hidden = !busy;
    document.querySelectorAll('[data-call-case]').forEach(function (b) {
      b.disabled = busy;
    });
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(scheme + location.host + '/phone');
    ws.onmessage = function (m) {
      var e;
      try {
        e = JSON.parse(m.data);
      } catch (_) {
        return;
      }
      onEvent(e);
    };
    ws.onclose = function () {
      ws = null;
      setReady(false);
      rings = [];
      stopRinging();
      if (signedOut) {
        return;
      }
      if (call) {
        finish();
        say(word('phone.error.lost'), 'error');
      } else {
        say(word('phone.offline'), 'offline');
      }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  function clock(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var sec = s % 60;
    return Math.floor(s / 60) + ':' + (sec < 10 ? '0' : '') + sec;
  }

  function onEvent(e) {
    switch (e.type) {
      case 'ready':
        ice = e.ice || [];
        retry = 1000;
        setReady(true);
        if (!call) {
          say(word('phone.ready'), 'ready');
        }
        return;
      case 'ring':
        // The switchboard rings only pages on no call; this one may have
        // started one meanwhile.
        if (call || rings.some(function (r) { return r.ring === e.ring; })) {
          return;
        }
        rings.push({ring: e.ring, person: e.person, name: e.name || e.caller || '', incoming: !!e.incoming, known: !!e.name});
        showRing();
        return;
      case 'ring_over':
        rings = rings.filter(function (r) { return r.ring !== e.ring; });
        if (call && call.ring === e.ring && !call.answeredAt) {
          // Taken by another before this page's audio connected, or the
          // person stopped waiting.
          finish();
          ringOver(e.incoming);
        } else if (shown && shown.ring === e.ring) {
          stopRinging();
          ringOver(e.incoming);
        }
        return;
      case 'error':
        finish();
        stopRinging();
        say(word('phone.error.' + e.error), 'error');
        if (e.error === 'signed_out') {
          signedOut = true;
        }
        return;
    }
    if (!call) {
      return;
    }
    switch (e.type) {
      case 'answer':
        call.pc.setRemoteDescription({type: 'answer', sdp: e.sdp}).catch(function () {
          send({type: 'hangup'});
        });
        return;
      case 'ringing':
        sayCall('phone.ringing', 'ringing');
        return;
      case 'answered':
        call.answeredAt = Date.now();
        sayCall('phone.talking', 'talking');
        timerEl.textContent = '0:00';
        call.ticker = setInterval(function () {
          timerEl.textContent = clock(Date.now() - call.answeredAt);
        }, 1000);
        return;
      case 'key':
        keyEl.textContent = word('phone.key', e.key);
        return;
      case 'ended':
        var answeredAt = call.answeredAt;
        finish();
        if (e.error) {
          say(word('phone.error.' + e.error), 'error');
        } else if (e.outcome === 'answered') {
          say(word('phone.ended') + ' (' + clock(Date.now() - answeredAt) + ')', 'ended');
        } else {
          say(word('phone.ended_why', word('call_result.' + e.outcome)), 'ended');
        }
        refreshCalls();
        return;
    }
  }

  // gathered resolves once pc has every ICE candidate (or after 5 s, with
  // those it has).
  function gathered(pc) {
    return new Promise(function (resolve) {
      if (pc.iceGatheringState === 'complete') {
        resolve();
        return;
      }
      var check = function () {
        if (pc.iceGatheringState === 'complete') {
          pc.removeEventListener('icegatheringstatechange', check);
          resolve();
        }
      };
      pc.addEventListener('icegatheringstatechange', check);
      setTimeout(resolve, 5000);
    });
  }

  // start makes call c, {caseID, name} from a call button or {ring,
  // person, name} from Décrocher: the microphone, the offer, then call or
  // accept.
  function start(c) {
    if (call || !ws || ws.readyState !== WebSocket.OPEN) {
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.RTCPeerConnection) {
      say(word('phone.error.unsupported'), 'error');
      return;
    }
    c.pc = null;
    c.mic = null;
    call = c;
    stopRinging();
    keyEl.textContent = '';
    timerEl.textContent = '';
    setBusy(true);
    if (c.ring) {
      showFile(c);
    }
    sayCall('phone.mic', 'dialing');
    var processing = !raw;
    navigator.mediaDevices.getUserMedia({
      audio: {echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing}
    }).then(function (mic) {
      c.mic = mic;
      if (call !== c) {
        throw new Error('hung up');
      }
      sayCall(c.ring ? 'phone.taking' : 'phone.dialing', 'dialing');
      var pc = new RTCPeerConnection({iceServers: ice});
      c.pc = pc;
      if (raw) {
        window.wellcheckPhone = pc; // tests read its statistics
      }
      mic.getTracks().forEach(function (t) {
        pc.addTrack(t, mic);
      });
      pc.ontrack = function (e) {
        audio.srcObject = e.streams[0] || new MediaStream([e.track]);
      };
      return pc.createOffer().then(function (offer) {
        return pc.setLocalDescription(offer);
      }).then(function () {
        return gathered(pc);
      }).then(function () {
        if (call !== c) {
          return;
        }
        var sdp = pc.localDescription.sdp;
        c.sent = send(c.ring ? {type: 'accept', ring: c.ring, sdp: sdp} : {type: 'call', case: c.caseID, sdp: sdp});
        if (!c.sent) {
          finish();
          say(word('phone.error.lost'), 'error');
        }
      });
    }).catch(function (err) {
      if (call !== c) {
        finish(c);
        return;
      }
      finish();
      var code = 'bad_offer';
      if (err && (err.name === 'NotAllowedError' || err.name === 'SecurityError')) {
        code = 'mic_denied';
      } else if (err && (err.name === 'NotFoundError' || err.name === 'OverconstrainedError')) {
        code = 'no_mic';
      }
      say(word('phone.error.' + code), 'error');
    });
  }

  // finish ends the page's side of call c (the current call by default):
  // the peer connection closed, the microphone off.
  function finish(c) {
    c = c || call;
    if (!c) {
      return;
    }
    if (c.ticker) {
      clearInterval(c.ticker);
    }
    if (c.pc) {
      c.pc.close();
    }
    if (c.mic) {
      c.mic.getTracks().forEach(function (t) {
        t.stop();
      });
    }
    if (call === c) {
      call = null;
      audio.srcObject = null;
      timerEl.textContent = '';
      muteButton.setAttribute('aria-pressed', 'false');
      showKeypad(false);
      setBusy(false);
      if (fileLink) fileLink.hidden = true;
    }
  }

  // showFile links the bar to the file of the person c is with, in a new
  // tab: this page holds the call.
  function showFile(c) {
    if (!fileLink || !c.person) return; // a listener opens no person's file (their case, once it opens, is on their list); a caller the service does not know has none
    fileLink.href = '/persons/' + encodeURIComponent(c.person);
    fileLink.textContent = word('phone.file_name', c.name);
    fileLink.hidden = false;
  }

  // showRing shows the first call offered to the page, if it is on no
  // call and shows none yet: who, Décrocher, and their file; the bar
  // rings.
  function showRing() {
    if (call || shown || !rings.length) {
      return;
    }
    shown = rings[0];
    clearTimeout(calm);
    var who = ringWords(shown);
    say(who, 'incoming');
    ringPanel.hidden = false;
    showFile(shown);
    document.title = '☎ ' + who + ' — ' + title;
    chime();
    chimes = setInterval(chime, 2500);
  }

  // ringWords says who rings: a person who pressed 2, or a call to the
  // service, from a person the service knows, a number it does not, or a
  // number withheld.
  function ringWords(r) {
    if (!r.incoming) {
      return word('phone.ring_name', r.name);
    }
    if (r.known) {
      return word('phone.incoming_name', r.name);
    }
    return r.name ? word('phone.incoming_number', r.name) : word('phone.incoming_withheld');
  }

  // stopRinging takes the ring off the bar (the calls offered stay known).
  function stopRinging() {
    if (!shown) {
      return;
    }
    shown = null;
    clearInterval(chimes);
    chimes = null;
    ringPanel.hidden = true;
    if (!call) {
      if (fileLink) fileLink.hidden = true;
    }
    document.title = title;
  }

  // ringOver says a ring ended elsewhere, then, after a while, that the
  // phone is ready; another call offered meanwhile rings at once.
  function ringOver(incoming) {
    if (rings.length) {
      showRing();
      return;
    }
    say(word(incoming ? 'phone.ring_over_incoming' : 'phone.ring_over'), 'ended');
    clearTimeout(calm);
    calm = setTimeout(function () {
      if (!call && !shown && ws && ws.readyState === WebSocket.OPEN) {
        say(word('phone.ready'), 'ready');
      }
    }, 6000);
  }

  function take() {
    var r = shown;
    if (!r || call) {
      return;
    }
    rings = rings.filter(function (x) { return x !== r; });
    start({ring: r.ring, person: r.person, name: r.name});
  }

  // ringSound is the page's AudioContext, made (or resumed) now. A browser
  // lets a page play sound only after a gesture on it: until then the
  // context stays suspended and the bar rings without sound.
  function ringSound() {
    if (!sound) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) {
        return null;
      }
      try {
        sound = new Context();
      } catch (_) {
        return null;
      }
      // Let play (at once, or by a gesture), a ring going on is heard.
      sound.onstatechange = function () {
        if (sound.state === 'running' && shown) {
          chime();
        }
      };
    }
    if (sound.state === 'suspended') {
      sound.resume().catch(function () {});
    }
    return sound;
  }

  // chime plays the ring's soft two notes, if the page may play sound.
  function chime() {
    var a = ringSound();
    if (!a || a.state !== 'running') {
      return;
    }
    var t = a.currentTime;
    [[660, 0], [880, 0.3]].forEach(function (n) {
      var o = a.createOscillator();
      var g = a.createGain();
      o.type = 'sine';
      o.frequency.value = n[0];
      g.gain.setValueAtTime(0.0001, t + n[1]);
      g.gain.exponentialRampToValueAtTime(0.12, t + n[1] + 0.04);
      g.gain.exponentialRampToValueAtTime(0.0001, t + n[1] + 0.6);
      o.connect(g);
      g.connect(a.destination);
      o.start(t + n[1]);
      o.stop(t + n[1] + 0.65);
    });
    bar.setAttribute('data-ring-sound', 'on');
  }

  function hangUp() {
    if (!call) {
      return;
    }
    if (!call.sent || !send({type: 'hangup'})) {
      // Nothing reached the server yet: the call ends here.
      finish();
      say(word('phone.ended'), 'ended');
    }
  }

  function toggleMute() {
    if (!call || !call.mic) {
      return;
    }
    var muted = muteButton.getAttribute('aria-pressed') !== 'true';
    call.mic.getAudioTracks().forEach(function (t) {
      t.enabled = !muted;
    });
    muteButton.setAttribute('aria-pressed', muted ? 'true' : 'false');
    if (call.answeredAt) {
      sayCall('phone.talking', 'talking');
      if (muted) {
        stateEl.textContent += ' — ' + word('phone.muted');
      }
    }
  }

  function showKeypad(open) {
    keys.hidden = !open;
    keypadButton.setAttribute('aria-expanded', open ? 'true' : 'false');
  }

  function press(key) {
    if (!call || !call.pc) {
      return;
    }
    var sender = call.pc.getSenders().find(function (s) {
      return s.track && s.track.kind === 'audio';
    });
    if (sender && sender.dtmf) {
      sender.dtmf.insertDTMF(key, 120, 70);
    }
  }

  // refreshCalls reads the case page again for its calls, and for the
  // record form's "reached" while the listener has not answered it.
  function refreshCalls() {
    var calls = document.getElementById('case-calls');
    if (!calls) {
      return;
    }
    fetch(location.pathname, {credentials: 'same-origin'}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) {
        return;
      }
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var fresh = doc.getElementById('case-calls');
      if (fresh) {
        calls.replaceWith(document.adoptNode(fresh));
      }
      var reached = document.getElementById('reached-q');
      var freshReached = doc.getElementById('reached-q');
      if (reached && freshReached && !reached.querySelector('input:checked')) {
        reached.replaceWith(document.adoptNode(freshReached));
      }
    }).catch(function () {});
  }

  document.addEventListener('click', function (e) {
    var b = e.target.closest('[data-call-case]');
    if (b) {
      e.preventDefault();
      start({caseID: parseInt(b.getAttribute('data-call-case'), 10), name: b.getAttribute('data-call-name') || ''});
      return;
    }
    var key = e.target.closest('#phone [data-key]');
    if (key) {
      press(key.getAttribute('data-key'));
    }
  });
  bar.querySelector('.phone-hangup').addEventListener('click', hangUp);
  takeButton.addEventListener('click', take);
  // A gesture anywhere lets the page's rings be heard from then on.
  ['pointerdown', 'keydown'].forEach(function (type) {
    document.addEventListener(type, function unlock() {
      document.removeEventListener(type, unlock, true);
      ringSound();
    }, true);
  });
  muteButton.addEventListener('click', toggleMute);
  keypadButton.addEventListener('click', function () {
    showKeypad(keys.hidden);
  });
  // Leaving the page would end the call it holds: the browser asks first.
  window.addEventListener('beforeunload', function (e) {
    if (call) {
      e.preventDefault();
      e.returnValue = '';
    }
  });
  setReady(false);
  connect();
})();
