#pragma once
// Dialog: the application's handle on one INVITE dialog (incoming or outgoing), shared as
// DialogRef. It wraps a sofia nua handle that the SipStack owns.
//
// Contracts:
// - Loop thread only: every method runs on the thread that runs SipStack::run().
// - Every dialog ends with exactly one SipHandler::onTerminated(); after it (or after the
//   stack shut down) the actions below return Error{481} and the getters keep their last
//   values. A DialogRef may outlive the stack.
// - Actions are asynchronous: they queue a SIP message and return; results arrive as
//   SipHandler events. An action that does not fit the dialog's state returns Error{491}
//   and sends nothing; bad arguments return Error{400}.
// - Tags: for an incoming dialog localTag() (the To-tag of our responses) is known as soon
//   as onIncomingInvite() runs; for an outgoing one localTag() and callId() are known when
//   SipStack::invite() returns and remoteTag() from the first response with a To-tag.
//   connectionId() is "<From-tag>:<To-tag>" of the initial INVITE (RFC 6230 section 6).
// - Offer/answer belongs to the application: the stack sends bodies as given. When our
//   INVITE (or re-INVITE) carried a body the stack ACKs the 2xx itself; when it was
//   offerless the 2xx carries the offer and the application must call ack(answer).
//   UPDATE (RFC 3311) carries offer/answer the same way: update() sends one, an incoming
//   one reaches SipHandler::onUpdate() and is answered with respondUpdate().
// - Session timers (SipConfig::sessionExpires, RFC 4028) run inside the stack: it refreshes
//   with UPDATE (re-INVITE when the peer does not allow UPDATE) and, when a refresh fails or
//   the peer's never comes, sends BYE and reports onTerminated(408, "session timer expired").

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "proto/sip/sip_types.hpp"

namespace parley::proto::sip {

class SipHandler;
namespace detail {
struct DialogCore;
}

enum class DialogRole { Uac, Uas };

enum class DialogState {
    Calling,     // UAC: INVITE sent, no response yet
    Early,       // UAC: 1xx received; UAS: INVITE received, no final response sent
    Completing,  // UAC: 2xx received, ACK not sent yet (offerless INVITE awaiting ack())
    Completed,   // UAS: 2xx sent, waiting for the ACK
    Ready,       // confirmed (also while a re-INVITE is under way)
    Terminating, // BYE or CANCEL under way
    Terminated,
};

const char* dialogStateName(DialogState state);

class Dialog {
public:
    explicit Dialog(std::unique_ptr<detail::DialogCore> core);
    ~Dialog();
    Dialog(const Dialog&) = delete;
    Dialog& operator=(const Dialog&) = delete;

    DialogRole role() const;
    DialogState state() const;
    bool terminated() const { return state() == DialogState::Terminated; }

    const std::string& callId() const;
    const std::string& localTag() const;
    const std::string& remoteTag() const;
    std::string fromTag() const;  // From-tag of the initial INVITE
    std::string toTag() const;    // To-tag of the initial INVITE's responses
    std::string connectionId() const { return fromTag() + ":" + toTag(); }
    const std::string& localUri() const;
    const std::string& remoteUri() const;
    const std::string& remoteContact() const;

    // Events of this dialog go to `handler` instead of the stack's (nullptr: back to the
    // stack's). The handler must stay alive until onTerminated() or until it is replaced.
    void setHandler(SipHandler* handler);

    // UAS: answer the pending INVITE or re-INVITE (101..699). Provisional responses may be
    // repeated; one final response ends the transaction. Empty reason: the standard phrase.
    common::Status respond(int status, std::string_view reason = {}, std::string_view body = {},
                           std::string_view contentType = {}, const HeaderList& headers = {});
    // UAC: ACK a 2xx that answered an offerless INVITE, with the SDP answer.
    common::Status ack(std::string_view body = {}, std::string_view contentType = {});
    // Confirmed dialog: send a re-INVITE (empty body: offerless).
    common::Status reinvite(std::string_view body = {}, std::string_view contentType = {},
                            const HeaderList& headers = {});
    // Confirmed or early dialog: send UPDATE (empty body: a bare session refresh).
    // The response arrives in SipHandler::onUpdateResponse().
    common::Status update(std::string_view body = {}, std::string_view contentType = {},
                          const HeaderList& headers = {});
    // Answer the pending incoming UPDATE (200..699).
    common::Status respondUpdate(int status, std::string_view reason = {}, std::string_view body = {},
                                 std::string_view contentType = {}, const HeaderList& headers = {});

    // RFC 4579 section 4: from now on our responses in this dialog carry the Contact
    // "<sip:<contactUser>@<host:port>>;isfocus" (contactUser empty: SipConfig::user).
    // Call it before answering the INVITE. Error{400} for a user part that is not one.
    common::Status setFocus(std::string_view contactUser = {});
    bool isFocus() const;

    // Confirmed (or UAC Completing) dialog: send BYE.
    common::Status bye(const HeaderList& headers = {});
    // UAC before the final response: send CANCEL.
    common::Status cancel();
    // Whatever ends the dialog in its state: CANCEL, a 480 answer, ACK then BYE, or BYE.
    // Returns ok when already terminated or terminating.
    common::Status hangup();

    detail::DialogCore& core() { return *core_; }

private:
    std::unique_ptr<detail::DialogCore> core_;
};

using DialogRef = std::shared_ptr<Dialog>;

}  // namespace parley::proto::sip
