use exit_attr::register_exit_fun;

#[register_exit_fun]
fn cleanup<T: Default>() {
    let _ = T::default();
}

fn main() {}
