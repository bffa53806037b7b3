#include "cylon/cylon.h"
int main(void) { return 0; }
