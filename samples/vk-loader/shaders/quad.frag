#version 450
layout(set = 0, binding = 0) uniform sampler2D tex[2];
layout(push_constant) uniform P { uint index; } p;
layout(location = 0) in vec2 v_uv;
layout(location = 0) out vec4 color;
void main()
{
	color = texture(tex[p.index], v_uv);
}
