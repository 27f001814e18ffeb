/* Placeholder until the toolkit lands. */
#include <stdio.h>
int main(void) { fputs("cviewfs-toolkit: not implemented\n", stderr); return 2; }
