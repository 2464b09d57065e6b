#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) {
  return migctl::cli::Run(argc, argv, std::cout, std::cerr);
}
