// webtorrent imports a WebRTC polyfill at load time. BootTorrent runs webtorrent with TCP
// peers only (no trackers speaking WebRTC, no browser peers), so nothing may construct these.
class WebRtcDisabled extends Error {
  constructor() {
    super('WebRTC is disabled in BootTorrent: peers connect over TCP on the boot network')
    this.name = 'WebRtcDisabled'
    this.code = 'BT_WEBRTC_DISABLED'
  }
}

export class RTCPeerConnection {
  constructor() {
    throw new WebRtcDisabled()
  }
}

export class RTCSessionDescription {
  constructor() {
    throw new WebRtcDisabled()
  }
}

export class RTCIceCandidate {
  constructor() {
    throw new WebRtcDisabled()
  }
}

export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
