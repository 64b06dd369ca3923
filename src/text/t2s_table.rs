// TEMPORARY STUB until the generated table lands.
pub(crate) fn t2s(c: char) -> char {
    match c {
        '體' => '体',
        '網' => '网',
        '運' => '运',
        '門' => '门',
        _ => c,
    }
}
