#pragma once
// MixerPackage: the msc-mixer/1.0 handler (RFC 6505) of the media server.
//
// Now: <audit> is answered from the real state (capabilities, and the conferences and
// joins the asking channel owns: see ResourceOwner); every other request is valid but not
// carried out yet and gets <response status="435" reason="not implemented yet">.
// Errors: a body that is not well-formed XML (or not the package's Content-Type) gets the
// framework 400; a well-formed body that the package refuses gets a 200 with the package
// status (400 schema, 428 foreign content); a reply or event sent as a request gets 400.

#include <string_view>

#include "ms/control/package_handler.hpp"
#include "proto/packages/mixer/mixer_messages.hpp"

namespace parley::ms {

class MixerPackage : public PackageHandler {
  public:
    std::string_view packageName() const override { return proto::mixer::kPackageName; }
    std::string_view contentType() const override { return proto::mixer::kContentType; }
    void onControl(const proto::cfw::IncomingControl& request, ControlContext& context) override;

  private:
    proto::mixer::AuditResponse audit(const proto::mixer::Audit& request,
                                      ControlContext& context) const;
};

}  // namespace parley::ms
