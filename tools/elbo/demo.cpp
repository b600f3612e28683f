#include <cstdio>
int run_demo(int, char**) {
  std::printf("demo: not available yet\n");
  return 1;
}
