#pragma once
// SDP bodies written for these tests (not copied from the RFCs; rfc7058_sdp_test.cpp reads
// the RFC's own examples from ../shared/spec at run time).

#include <string>
#include <string_view>

namespace parley::proto::sdp::test {

// The fixtures are written with "\n"; SIP bodies use CRLF.
inline std::string crlf(std::string_view lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

inline const std::string kControlOffer = crlf(
    "v=0\n"
    "o=as 3900000001 3900000001 IN IP4 192.0.2.10\n"
    "s=control\n"
    "c=IN IP4 192.0.2.10\n"
    "t=0 0\n"
    "m=application 49152 TCP cfw\n"
    "a=connection:new\n"
    "a=setup:active\n"
    "a=cfw-id:a1b2c3d4e5\n");

inline const std::string kControlAnswer = crlf(
    "v=0\n"
    "o=ms 4100000007 4100000008 IN IP4 192.0.2.20\n"
    "s=control\n"
    "c=IN IP4 192.0.2.20\n"
    "t=0 0\n"
    "m=application 7563 TCP cfw\n"
    "a=connection:new\n"
    "a=setup:passive\n"
    "a=cfw-id:f6e5d4c3b2\n");

// A phone's offer: G.711 both laws with static types and no rtpmap for PCMA, GSM, DTMF.
inline const std::string kPhoneOffer = crlf(
    "v=0\n"
    "o=alice 2208 1 IN IP4 198.51.100.7\n"
    "s=call\n"
    "c=IN IP4 198.51.100.7\n"
    "t=0 0\n"
    "m=audio 40000 RTP/AVP 0 8 3 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-16\n"
    "a=ptime:20\n"
    "a=sendrecv\n");

// Audio + video + a second audio line with SRTP, labels and media-level c=.
inline const std::string kMultiOffer = crlf(
    "v=0\n"
    "o=bob 77 78 IN IP6 2001:db8::5\n"
    "s=multi\n"
    "c=IN IP6 2001:db8::5\n"
    "t=0 0\n"
    "a=tool:test-suite\n"
    "m=audio 50000 RTP/AVP 8 0 96\n"
    "a=rtpmap:96 opus/48000/2\n"
    "a=fmtp:96 useinbandfec=1\n"
    "a=label:main-audio\n"
    "a=maxptime:40\n"
    "m=video 50002 RTP/AVP 97\n"
    "c=IN IP6 2001:db8::6\n"
    "a=rtpmap:97 H264/90000\n"
    "a=fmtp:97 profile-level-id=42e01f\n"
    "a=recvonly\n"
    "m=audio 50004 RTP/SAVP 0 101\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 KDR=1\n");

}  // namespace parley::proto::sdp::test
