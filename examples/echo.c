#include <patchbay/patchbay.h>
int main(void) { return 0; } /* stub */
