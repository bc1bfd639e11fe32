int main(void) { return 0; } /* stub: being written */
