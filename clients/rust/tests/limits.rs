//! The limits of the proto reach Rust users through the descriptor set.

use cordyna_client::prost::Message;
use cordyna_client::prost_types::FileDescriptorSet;
use cordyna_client::v1::FILE_DESCRIPTOR_SET;

#[test]
fn descriptor_set_carries_the_buf_validate_rules() {
    let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("a FileDescriptorSet");
    let task = set
        .file
        .iter()
        .find(|file| file.name() == "cordyna/v1/task.proto")
        .expect("task.proto");
    assert!(task.dependency.iter().any(|d| d == "buf/validate/validate.proto"));

    // prost_types drops extensions while decoding, so look for the rule as
    // encoded: TaskDeclaration.description's option (buf.validate.field), field
    // 1159 (tag ba 48), length 5, holding FieldRules.string (tag 72), length 3,
    // holding StringRules.max_bytes (tag 28) = 4096 (varint 80 20).
    let description_max_4_kib = [0xba, 0x48, 0x05, 0x72, 0x03, 0x28, 0x80, 0x20];
    assert!(
        FILE_DESCRIPTOR_SET
            .windows(description_max_4_kib.len())
            .any(|window| window == description_max_4_kib)
    );
}
