#version 450
// Checksum of count 32-bit words from word first of the asset buffer:
// s[2*slot] = sum of w[j] * (2j + 1) (mod 2^32, so a word in the wrong
// place changes it), s[2*slot + 1] = xor of all words. The loader
// computes the same from the file (main.c, file_checksum).
//
// Invocation i of n takes words i, i + n, i + 2n, ...: neighbouring
// invocations read neighbouring words, which a CPU driver (lavapipe)
// turns into vector loads.
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) readonly buffer Data { uint w[]; };
layout(std430, set = 0, binding = 1) buffer Sum { uint s[]; };
layout(push_constant) uniform P { uint first; uint count; uint slot; } p;
void main()
{
	uint n = gl_NumWorkGroups.x * 64u;
	uint acc = 0u, x = 0u;
	for (uint j = gl_GlobalInvocationID.x; j < p.count; j += n) {
		uint v = w[p.first + j];
		acc += v * (2u * j + 1u);
		x ^= v;
	}
	atomicAdd(s[2u * p.slot], acc);
	atomicXor(s[2u * p.slot + 1u], x);
}
