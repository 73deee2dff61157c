//! Round-trip and wire-format tests for the msgpack and JSON codecs.

use proptest::prelude::*;

use super::*;

fn n(s: &str) -> Value {
    Value::Number(s.parse().unwrap())
}

fn mp_round_trip(v: &Value, ty: &Type) -> Value {
    let bytes = v.to_msgpack(ty).unwrap();
    Value::from_msgpack(&bytes, ty).unwrap()
}

fn json_round_trip(v: &Value, ty: &Type) -> Value {
    let text = v.to_json(ty).unwrap();
    Value::from_json(text.as_bytes(), ty).unwrap()
}

#[test]
fn wire_bytes_match_cty() {
    assert_eq!(
        Value::Unknown.to_msgpack(&Type::String).unwrap(),
        [0xd4, 0, 0]
    );
    assert_eq!(Value::Null.to_msgpack(&Type::Number).unwrap(), [0xc0]);
    assert_eq!(Value::from(42).to_msgpack(&Type::Number).unwrap(), [42]);
    assert_eq!(
        Value::from("hi").to_msgpack(&Type::String).unwrap(),
        [0xa2, b'h', b'i']
    );
    // 0.5 is exact in binary: float64. 0.1 is not: decimal string, as cty writes it.
    let half = n("0.5").to_msgpack(&Type::Number).unwrap();
    assert_eq!(half[0], 0xcb);
    assert_eq!(
        n("0.1").to_msgpack(&Type::Number).unwrap(),
        [0xa3, b'0', b'.', b'1']
    );
    // 2^63 does not fit i64 but is an exact float.
    assert_eq!(
        n("9223372036854775808").to_msgpack(&Type::Number).unwrap()[0],
        0xcb
    );
    // A dynamic value is [type JSON as bin, value].
    let dynamic = Value::dynamic(Type::String, "x".into());
    assert_eq!(
        dynamic.to_msgpack(&Type::Dynamic).unwrap(),
        [0x92, 0xc4, 8, b'"', b's', b't', b'r', b'i', b'n', b'g', b'"', 0xa1, b'x']
    );
    // Objects are maps keyed by attribute, every attribute present, sorted.
    let ty = Type::object([("b", Type::String), ("a", Type::Bool)]);
    let bytes = Value::object([("b", Value::from("x"))])
        .to_msgpack(&ty)
        .unwrap();
    assert_eq!(bytes, [0x82, 0xa1, b'a', 0xc0, 0xa1, b'b', 0xa1, b'x']);
}

#[test]
fn any_extension_decodes_as_unknown() {
    // fixext1 code 0, fixext1 code 12 (refined unknown), ext8 with a map payload, code 5.
    let cases: [&[u8]; 4] = [
        &[0xd4, 0x00, 0x00],
        &[0xd4, 0x0c, 0x00],
        &[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2],
        &[0xd5, 0x05, 0x01, 0x02],
    ];
    for ty in [Type::String, Type::list(Type::Number), Type::Dynamic] {
        for bytes in cases {
            assert_eq!(Value::from_msgpack(bytes, &ty).unwrap(), Value::Unknown);
        }
    }
    // Inside an object.
    let ty = Type::object([("a", Type::String)]);
    let v = Value::from_msgpack(&[0x81, 0xa1, b'a', 0xd4, 0x0c, 0x00], &ty).unwrap();
    assert_eq!(v, Value::object([("a", Value::Unknown)]));
}

#[test]
fn numbers_decode_from_every_msgpack_form() {
    let ty = Type::Number;
    assert_eq!(Value::from_msgpack(&[0x07], &ty).unwrap(), Value::from(7));
    assert_eq!(Value::from_msgpack(&[0xff], &ty).unwrap(), Value::from(-1));
    let u64max = [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(
        Value::from_msgpack(&u64max, &ty).unwrap(),
        Value::from(u64::MAX)
    );
    let f32_half = [0xca, 0x3f, 0x00, 0x00, 0x00];
    assert_eq!(Value::from_msgpack(&f32_half, &ty).unwrap(), n("0.5"));
    let big = "123456789012345678901234567890.5";
    let mut bytes = vec![0xd9, big.len() as u8];
    bytes.extend_from_slice(big.as_bytes());
    assert_eq!(Value::from_msgpack(&bytes, &ty).unwrap(), n(big));
    assert_eq!(mp_round_trip(&n(big), &ty), n(big));
    assert_eq!(mp_round_trip(&n("-1e400"), &ty), n("-1e400"));
    assert_eq!(
        mp_round_trip(&Value::Number(Number::infinity(true)), &ty),
        Value::Number(Number::infinity(true))
    );
}

#[test]
fn decoding_reports_schema_mismatches_with_paths() {
    let ty = Type::object([("a", Type::String), ("b", Type::String)]);
    let one_attr = [0x81, 0xa1, b'a', 0xc0];
    let err = Value::from_msgpack(&one_attr, &ty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at the top level: an object with 2 attributes is required (1 given)"
    );
    let wrong_attr = [0x82, 0xa1, b'a', 0xc0, 0xa1, b'z', 0xc0];
    let err = Value::from_msgpack(&wrong_attr, &ty).unwrap_err();
    assert!(err.message.contains("unsupported attribute \"z\""));
    let ty = Type::object([("l", Type::list(Type::Bool))]);
    let bad_element = [0x81, 0xa1, b'l', 0x91, 0x01];
    let err = Value::from_msgpack(&bad_element, &ty).unwrap_err();
    assert_eq!(err.to_string(), "at l[0]: expected bool, found an integer");
    assert!(Value::from_msgpack(&[0xc0, 0xc0], &Type::String).is_err());
    assert!(Value::from_msgpack(&[0xa5, b'a'], &Type::String).is_err());
}

#[test]
fn encoding_rejects_values_that_do_not_fit() {
    let ty = Type::object([("a", Type::String)]);
    let err = Value::object([("a", Value::from(1))])
        .to_msgpack(&ty)
        .unwrap_err();
    assert_eq!(err.to_string(), "at a: cannot encode a number as string");
    let err = Value::object([("zz", Value::Null)])
        .to_msgpack(&ty)
        .unwrap_err();
    assert!(err.message.contains("unsupported attribute"));
    let err = Value::List(vec![]).to_msgpack(&Type::Dynamic).unwrap_err();
    assert!(err.message.contains("cannot be inferred"));
}

#[test]
fn dynamic_values_keep_their_type() {
    let empty_list = Value::dynamic(Type::list(Type::String), Value::List(vec![]));
    assert_eq!(mp_round_trip(&empty_list, &Type::Dynamic), empty_list);
    assert_eq!(json_round_trip(&empty_list, &Type::Dynamic), empty_list);
    // A plain value with an inferable type is wrapped on the way out.
    let plain = Value::object([("n", Value::from(1))]);
    let back = mp_round_trip(&plain, &Type::Dynamic);
    assert_eq!(
        back,
        Value::dynamic(Type::object([("n", Type::Number)]), plain.clone())
    );
    assert_eq!(back.attr("n").as_i64(), Some(1));
    // A typed unknown inside a dynamic slot.
    let typed_unknown = Value::dynamic(Type::String, Value::Unknown);
    assert_eq!(mp_round_trip(&typed_unknown, &Type::Dynamic), typed_unknown);
    assert_eq!(
        Value::dynamic(Type::Number, Value::from(3))
            .to_json(&Type::Dynamic)
            .unwrap(),
        r#"{"value":3,"type":"number"}"#
    );
}

#[test]
fn json_encoding_matches_cty() {
    let ty = Type::object([
        ("id", Type::String),
        ("size", Type::Number),
        ("tags", Type::map(Type::String)),
        ("ports", Type::set(Type::Number)),
    ]);
    let v = Value::object([
        ("id", Value::from("a\"b")),
        ("size", n("123456789012345678901234567890.25")),
        ("tags", Value::map([("env", Value::from("prod"))])),
        ("ports", Value::set([Value::from(443), Value::from(80)])),
    ]);
    assert_eq!(
        v.to_json(&ty).unwrap(),
        r#"{"id":"a\"b","ports":[80,443],"size":123456789012345678901234567890.25,"tags":{"env":"prod"}}"#
    );
    let err = Value::object([("id", Value::Unknown)])
        .to_json(&ty)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "at id: JSON cannot represent an unknown value"
    );
}

#[test]
fn json_decoding_fills_missing_and_handles_extras() {
    let ty = Type::object([("a", Type::String), ("n", Type::Number)]);
    let v = Value::from_json(br#"{"n":"12345678901234567890123"}"#, &ty).unwrap();
    assert!(v.attr("a").is_null());
    assert_eq!(v.attr("n"), &n("12345678901234567890123"));
    assert!(Value::from_json(br#"{"old":1}"#, &ty).is_err());
    let v = Value::from_json_ignoring_extra(br#"{"old":1,"a":"x"}"#, &ty).unwrap();
    assert_eq!(v, Value::object([("a", "x".into()), ("n", Value::Null)]));
    assert_eq!(Value::from_json(b"1.5", &Type::Number).unwrap(), n("1.5"));
    assert_eq!(
        Value::from_json(b"18446744073709551615", &Type::Number).unwrap(),
        Value::from(u64::MAX)
    );
    let err = Value::from_json(br#"{"a":[1]}"#, &ty).unwrap_err();
    assert_eq!(err.to_string(), "at a: expected string, found an array");
}

#[test]
fn type_json_both_ways() {
    let cases = [
        (r#""string""#, Type::String),
        (r#""number""#, Type::Number),
        (r#""bool""#, Type::Bool),
        (r#""dynamic""#, Type::Dynamic),
        (r#"["list","string"]"#, Type::list(Type::String)),
        (r#"["set","number"]"#, Type::set(Type::Number)),
        (
            r#"["map",["object",{"a":"number"}]]"#,
            Type::map(Type::object([("a", Type::Number)])),
        ),
        (
            r#"["tuple",["string",["list","bool"]]]"#,
            Type::tuple(vec![Type::String, Type::list(Type::Bool)]),
        ),
    ];
    for (text, ty) in cases {
        assert_eq!(ty.to_json_string(), text);
        assert_eq!(Type::from_json_str(text).unwrap(), ty);
    }
    let optional = r#"["object",{"a":"string","b":"number"},["b"]]"#;
    let ty = Type::from_json_str(optional).unwrap();
    match &ty {
        Type::Object(o) => assert!(o.optional.contains("b") && !o.optional.contains("a")),
        other => panic!("not an object: {other:?}"),
    }
    assert_eq!(ty.to_json_string(), optional);
    for bad in [
        r#""str""#,
        r#"["list"]"#,
        r#"["list","string","x"]"#,
        r#"["object",{"a":"string"},["zz"]]"#,
        "42",
        "[",
    ] {
        assert!(Type::from_json_str(bad).is_err(), "{bad} accepted");
    }
}

/// Null and unknown at every depth, for every kind of type.
#[test]
fn null_and_unknown_at_every_depth() {
    let leaf_types = [Type::String, Type::Number, Type::Bool];
    for leaf in leaf_types {
        let containers = [
            (
                Type::list(leaf.clone()),
                Value::list([Value::Null, Value::Unknown]),
            ),
            (
                Type::set(leaf.clone()),
                Value::set([Value::Null, Value::Unknown]),
            ),
            (
                Type::map(leaf.clone()),
                Value::map([("a", Value::Null), ("b", Value::Unknown)]),
            ),
            (
                Type::object([("a", leaf.clone()), ("b", leaf.clone())]),
                Value::object([("a", Value::Null), ("b", Value::Unknown)]),
            ),
            (
                Type::tuple(vec![leaf.clone(), leaf.clone()]),
                Value::tuple([Value::Null, Value::Unknown]),
            ),
            (
                Type::Dynamic,
                Value::dynamic(Type::list(leaf.clone()), Value::list([Value::Unknown])),
            ),
        ];
        for (ty, v) in containers {
            assert_eq!(mp_round_trip(&v, &ty), v, "{ty}");
            let outer = Type::list(Type::object([("inner", ty.clone())]));
            let nested = Value::list([
                Value::object([("inner", v.clone())]),
                Value::object([("inner", Value::Null)]),
                Value::object([("inner", Value::Unknown)]),
                Value::Null,
                Value::Unknown,
            ]);
            assert_eq!(mp_round_trip(&nested, &outer), nested, "{outer}");
            assert_eq!(mp_round_trip(&Value::Null, &ty), Value::Null);
            assert_eq!(mp_round_trip(&Value::Unknown, &ty), Value::Unknown);
        }
    }
}

fn arb_leaf_type() -> impl Strategy<Value = Type> {
    prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)]
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![arb_leaf_type(), Just(Type::Dynamic)];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::object),
            prop::collection::vec(inner, 0..4).prop_map(Type::tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        // Decimals that are not exact in binary, and huge ones: sent as strings.
        (any::<i32>(), 0u32..30)
            .prop_map(|(m, scale)| { format!("{m}e-{scale}").parse().unwrap() }),
        (any::<u64>(), 0u32..60).prop_map(|(m, e)| format!("{m}e{e}").parse().unwrap()),
        // Exact binary fractions: sent as floats.
        (any::<i32>(), 1u32..20)
            .prop_map(|(m, s)| { Number::from_f64(f64::from(m) / f64::from(1u32 << s)).unwrap() }),
    ]
}

/// Values of type `ty`; with `unknowns` false, no unknowns anywhere (for JSON).
fn arb_value(ty: Type, unknowns: bool) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty.clone() {
        Type::String => ".{0,8}".prop_map(Value::String).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Dynamic => arb_leaf_type()
            .prop_flat_map(move |t| {
                arb_value(t.clone(), unknowns).prop_map(move |v| Value::dynamic(t.clone(), v))
            })
            .boxed(),
        Type::List(e) => prop::collection::vec(arb_value(*e, unknowns), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(e) => prop::collection::vec(arb_value(*e, unknowns), 0..4)
            .prop_map(Value::set)
            .boxed(),
        Type::Map(e) => prop::collection::btree_map(".{0,5}", arb_value(*e, unknowns), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(ts) => ts
            .into_iter()
            .map(|t| arb_value(t, unknowns))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object(o) => o
            .attributes
            .into_iter()
            .map(|(k, t)| arb_value(t, unknowns).prop_map(move |v| (k.clone(), v)))
            .collect::<Vec<_>>()
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
            .boxed(),
    };
    if unknowns {
        prop_oneof![8 => known, 1 => Just(Value::Null), 1 => Just(Value::Unknown)].boxed()
    } else {
        prop_oneof![8 => known, 1 => Just(Value::Null)].boxed()
    }
}

fn arb_typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type()
        .prop_flat_map(move |ty| arb_value(ty.clone(), unknowns).prop_map(move |v| (ty.clone(), v)))
}

proptest! {
    #[test]
    fn msgpack_round_trips((ty, v) in arb_typed_value(true)) {
        let bytes = v.to_msgpack(&ty).unwrap();
        prop_assert_eq!(Value::from_msgpack(&bytes, &ty).unwrap(), v.clone());
        prop_assert!(v.check_conforms(&ty).is_ok());
    }

    #[test]
    fn json_round_trips((ty, v) in arb_typed_value(false)) {
        let text = v.to_json(&ty).unwrap();
        prop_assert_eq!(Value::from_json(text.as_bytes(), &ty).unwrap(), v);
    }

    #[test]
    fn type_json_round_trips(ty in arb_type()) {
        prop_assert_eq!(Type::from_json_str(&ty.to_json_string()).unwrap(), ty);
    }

    #[test]
    fn number_text_round_trips(num in arb_number()) {
        prop_assert_eq!(num.to_string().parse::<Number>().unwrap(), num);
    }
}
