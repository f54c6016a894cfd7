// The hello plugin's instance: a greeting built from the config, and a view of
// the namespaces in the metadata database it depends on.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaces.hpp"
#include "berth/status.hpp"
#include "hello_config.hpp"

namespace hello {

class Greeter final : public berth::Instance {
 public:
  // Reads the store once, so a store that cannot be read fails the plugin's init
  // (listed as "error") instead of surfacing later. `name` ("<type>.<id>")
  // prefixes the instance's log lines, as the host adds none.
  // The namespaces are read through `namespaces` in transactions of `metadata`.
  static berth::Result<std::shared_ptr<Greeter>> create(std::string name, const HelloConfig& config,
                                                        std::shared_ptr<berth::Metadata> metadata,
                                                        std::shared_ptr<berth::NamespaceStore> namespaces);

  Greeter(std::string name, std::string message, std::shared_ptr<berth::Metadata> metadata,
          std::shared_ptr<berth::NamespaceStore> namespaces, std::size_t namespaces_at_init);

  // The greeting said `repeat` times: "hello hello" for greeting "hello", repeat 2.
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] std::size_t namespaces_at_init() const { return namespaces_at_init_; }

  // Namespaces in the store now, read in one view transaction.
  [[nodiscard]] berth::Result<std::size_t> count_namespaces() const;

  // The host closes plugins in reverse init order, so the metadata store we
  // depend on is still open here; the final count shows that it is.
  berth::Status close() override;

 private:
  std::string name_;
  std::string message_;
  // Shared with the host's registry; holding them keeps the database and the
  // namespaces service alive as long as we are.
  std::shared_ptr<berth::Metadata> metadata_;
  std::shared_ptr<berth::NamespaceStore> namespaces_;
  std::size_t namespaces_at_init_;
};

}  // namespace hello
