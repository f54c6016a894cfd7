#include "test_ca.hpp"

#include <fstream>

#include "child_process.hpp"

namespace berth::test {

TestCa::TestCa(const std::filesystem::path& dir) : dir_(dir) {
  std::filesystem::create_directories(dir);
  const std::string d = "'" + dir.string() + "'";
  std::ofstream(dir / "server.ext") << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                       "extendedKeyUsage=serverAuth\n";
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string commands[] = {
      "openssl req -x509" + ec + " -keyout " + d + "/ca.key -out " + d +
          "/ca.crt -days 2 -subj /CN=berth-test-ca -addext basicConstraints=critical,CA:TRUE"
          " -addext keyUsage=critical,keyCertSign,cRLSign",
      "openssl req" + ec + " -keyout " + d + "/server.key -out " + d + "/server.csr -subj /CN=127.0.0.1",
      "openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.crt -CAkey " + d +
          "/ca.key -CAcreateserial" + " -out " + d + "/server.crt -days 2 -extfile " + d + "/server.ext",
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/signer.key -out " + d +
          "/signer.crt -days 2 -subj /CN=berth-test-token-signer",
  };
  for (const auto& c : commands) {
    std::string out;
    if (run_shell(c, out) != 0) {
      why_ = c + ": " + out;
      return;
    }
  }
  ok_ = true;
}

}  // namespace berth::test
