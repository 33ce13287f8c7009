#pragma once
// IvrPackage: the msc-ivr/1.0 handler (RFC 6231) of the media server.
//
// Now: <audit> is answered from the real state (capabilities, and the IVR dialogs the
// asking channel owns: see ResourceOwner); every other request is valid but not carried out
// yet and gets <response status="439" reason="not implemented yet">.
// Errors: a body that is not well-formed XML (or not the package's Content-Type) gets the
// framework 400; a well-formed body that the package refuses gets a 200 with the package
// status (400 schema or co-occurrence, 413 control keys, 431 foreign content) and the
// request's dialogid when it can be read; a reply or event sent as a request gets 400.

#include <string_view>

#include "ms/control/package_handler.hpp"
#include "proto/packages/ivr/messages.hpp"
#include "proto/packages/ivr/types.hpp"

namespace parley::ms {

class IvrPackage : public PackageHandler {
  public:
    std::string_view packageName() const override { return proto::ivr::kPackageName; }
    std::string_view contentType() const override { return proto::ivr::kMimeType; }
    void onControl(const proto::cfw::IncomingControl& request, ControlContext& context) override;

  private:
    proto::ivr::AuditResponse audit(const proto::ivr::Audit& request,
                                    ControlContext& context) const;
};

}  // namespace parley::ms
