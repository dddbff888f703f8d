export * from './auth.module';
export * from './auth.service';
export * from './dto/login.dto';
export * from './jwt-auth.guard';
export * from './jwt.strategy';
export * from './login-throttle.service';
export * from './users.service';
