// fake_model_api COMMAND: serves the fake model APIs on a free port, prints
// the base URL, and logs each request on stderr until stdin closes. For
// trying a CLI by hand and recording its stream.
#include <iostream>

#include "tests/support/fake_model_api/fake_model_api.h"

int main(int argc, char** argv) {
  bottega::testing::FakeModelApi api(argc > 1 ? argv[1] : "echo fake > fake.txt");
  if (auto started = api.start(); !started) {
    std::cerr << started.error().message << "\n";
    return 1;
  }
  std::cout << api.base_url() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  for (const auto& r : api.requests())
    std::cerr << r.method << " " << r.path << " " << r.body.substr(0, 20000) << "\n\n";
  return 0;
}
