#include "tests/support/tls_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace bottega::testing {

std::string make_temp_dir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  if (!::mkdtemp(pattern.data())) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
    return "";
  }
  return pattern;
}

TestCertificates make_test_certificates(const std::string& dir) {
  std::filesystem::create_directories(dir);
  TestCertificates c{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"};
  const std::string q = "'" + dir + "'";
  const std::string script =
      "cd " + q +
      " && "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
      "-subj /CN=bottega-test-ca 2>/dev/null && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
      "-subj /CN=localhost 2>/dev/null && "
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out server.pem -days 2 -extfile ext.cnf 2>/dev/null";
  if (std::system(script.c_str()) != 0) {
    ADD_FAILURE() << "openssl could not make test certificates in " << dir;
    return {};
  }
  return c;
}

}  // namespace bottega::testing
